"""allauth's providers with what they leave to us (SOCIALACCOUNT_PROVIDERS' provider_class).
SAML: an assertion signs in once only (a replay guard, for identity-provider-initiated sign-ins
above all, where no request of ours is answered), and the session keeps what single logout needs.
OpenID Connect: the claims holding the address and names are the tenant's choice."""

import datetime
import secrets
from urllib.parse import urlencode

from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from django.db import IntegrityError, transaction
from django.shortcuts import render
from django.utils import timezone

from sso import fetch, saml
from sso.models import SeenAssertion

SESSION_KEY = "sso_saml"  # the NameID and session index single logout names
LONGEST = datetime.timedelta(hours=1)  # how long an ID is kept at least
DRIFT = datetime.timedelta(minutes=10)  # past its end, python3-saml allows 5 minutes of clock drift


class PortalSAMLProvider(SAMLProvider):
    package = "allauth.socialaccount.providers.saml"  # its URLs are allauth's

    def sociallogin_from_response(self, request, response):
        assertion_id = response.get_last_assertion_id()
        ends = response.get_last_assertion_not_on_or_after()
        expires = datetime.datetime.fromtimestamp(ends, tz=datetime.UTC) if ends else timezone.now() + LONGEST
        if not assertion_id or not _first_use(
            saml.assertion_key(self.app.provider_id, assertion_id), expires
        ):
            context = {"organisation": self.app.name}
            raise ImmediateHttpResponse(render(request, "sso/replayed.html", context, status=403))
        request.session[SESSION_KEY] = {
            "provider": self.app.provider_id,
            "name_id": response.get_nameid(),
            "name_id_format": response.get_nameid_format(),
            "session_index": response.get_session_index(),
        }
        return super().sociallogin_from_response(request, response)


def _first_use(key: str, expires: datetime.datetime) -> bool:
    try:
        with transaction.atomic():
            kept = max(expires + DRIFT, timezone.now() + LONGEST)
            SeenAssertion.objects.create(key=key, expires_at=kept)
    except IntegrityError:
        return False
    return True


class PortalOIDCProvider(OpenIDConnectProvider):
    package = "allauth.socialaccount.providers.openid_connect"

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        """A nonce in the authorization request, kept in the sign-in's state, which the ID token
        must carry back (checked in sso.adapter): a token minted for another sign-in is refused."""
        nonce = secrets.token_urlsafe(24)
        auth_params = {**(kwargs.pop("auth_params", None) or self.get_auth_params()), "nonce": nonce}
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )

    def _claims(self, data: dict) -> tuple[dict, dict]:
        picked = data.get("userinfo") or data.get("id_token") or data  # as allauth picks
        return picked, {**saml.OIDC_CLAIMS, **self.app.settings.get("claims", {})}

    def extract_common_fields(self, data):
        picked, names = self._claims(data)
        return {key: picked.get(names[key]) for key in ("email", "first_name", "last_name")}

    def extract_email_addresses(self, data):
        picked, names = self._claims(data)
        email = picked.get(names["email"])
        if not isinstance(email, str) or not email:
            return []
        return [EmailAddress(email=email, verified=picked.get("email_verified", False), primary=True)]


def single_logout_url(request) -> str | None:
    """Where signing out sends a session that came through the tenant's provider, where it has
    single logout: SAML, its endpoint with our signed LogoutRequest naming the session (it
    answers at allauth's single logout service); OpenID Connect, its end-session endpoint
    (RP-initiated logout, with our client ID and the tenant's home to come back to)."""
    from allauth.socialaccount.providers.saml.utils import build_auth

    from sso import selectors
    from sso.services import signed_in_through_provider

    signin = selectors.signin_of(getattr(request, "tenant", None))
    if signin is None or not signin.uses_sso or not request.user.is_authenticated:
        return None
    if signin.protocol == signin.Protocol.OIDC:
        if not signin.end_session_url or not signed_in_through_provider(request, request.user, signin):
            return None
        query = {"client_id": signin.client_id, "post_logout_redirect_uri": request.build_absolute_uri("/")}
        return f"{signin.end_session_url}?{urlencode(query)}"
    held = request.session.get(SESSION_KEY)
    if not held or not signin.saml_slo_url or held.get("provider") != signin.provider_id:
        return None
    app = selectors.social_app(request.tenant)
    if app is None or app.provider != "saml":
        return None
    auth = build_auth(request, app.get_provider(request))
    return auth.logout(
        return_to=request.build_absolute_uri("/"),
        name_id=held.get("name_id"),
        session_index=held.get("session_index"),
        name_id_format=held.get("name_id_format"),
    )


def single_logout_origin(request, signin) -> str | None:
    """The origin sign-out may lead to for this session (for the pages' CSP form-action)."""
    if signin is None or not request.user.is_authenticated:
        return None
    if signin.protocol == signin.Protocol.SAML:
        held = request.session.get(SESSION_KEY)
        ok = held and signin.saml_slo_url and held.get("provider") == signin.provider_id
        return fetch.origin(signin.saml_slo_url) if ok else None
    from sso.services import signed_in_through_provider

    if signin.end_session_url and signed_in_through_provider(request, request.user, signin):
        return fetch.origin(signin.end_session_url)
    return None


def nonce_matches(sociallogin) -> bool:
    """Whether the ID token carries the nonce this sign-in sent (OpenID Connect Core §3.1.3.7)."""
    sent = (sociallogin.state or {}).get("nonce")
    id_token = (sociallogin.account.extra_data or {}).get("id_token") or {}
    return (
        bool(sent)
        and isinstance(id_token, dict)
        and secrets.compare_digest(str(id_token.get("nonce", "")), sent)
    )
