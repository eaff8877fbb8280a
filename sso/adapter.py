"""allauth's social accounts, one identity provider per tenant: the host's tenant's configuration
is the only app there is (`list_apps`), so a sign-in started or finished at one tenant's host can
use no other's provider; an account it makes is tied to that configuration's provider id.

Accounts are global (one per address, across tenants), so a tenant's provider may make, and sign
in, only accounts whose address is in a domain the operators verified as that tenant's
(SignIn.verified_domains): never a tenant admin's own say, or one tenant's provider could make and
keep an account that another tenant later trusts."""

from allauth.account.internal.stagekit import clear_login
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib import messages
from django.shortcuts import redirect, render

from accounts.adapter import AccountAdapter as PortalAccountAdapter
from accounts.services import clean_name
from sso import fetch, providers, selectors, services
from sso.models import SignIn


class AccountAdapter(PortalAccountAdapter):
    """The portal's account adapter, plus single sign-on only: at such a tenant, a password (or
    anything but its provider) signs in nobody but its break-glass admins, who have TOTP."""

    def pre_login(self, request, user, **kwargs):
        if not services.sign_in_allowed(request, user):
            return _sso_only(request)
        return super().pre_login(request, user, **kwargs)

    def login(self, request, user):
        """Asked again as the sign-in completes: the tenant may have turned single sign-on only on
        while this person was at the second factor."""
        if not services.sign_in_allowed(request, user):
            raise ImmediateHttpResponse(_sso_only(request))
        super().login(request, user)

    def get_logout_redirect_url(self, request):
        """Signing out of a session that came through the tenant's SAML provider signs out there
        too, where it has single logout (asked before the session ends: allauth's order)."""
        return providers.single_logout_url(request) or super().get_logout_redirect_url(request)


def _sso_only(request):
    clear_login(request)
    messages.error(request, f"{request.tenant.name} signs in through its organisation's single sign-on only.")
    return redirect("account_login")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        if request is None:
            return []
        logout = request.path_info.endswith("/sls/")  # allauth's single logout service
        app = selectors.social_app(
            getattr(request, "tenant", None), trying=services.trying(request), logout=logout
        )
        if app is None or (provider and provider not in (app.provider, app.provider_id)):
            return []
        if client_id and client_id != app.client_id:
            return []
        return [app]

    def get_requests_session(self):
        return fetch.session()  # https only, no redirects, no private addresses

    def can_authenticate_by_email(self, sociallogin, email) -> bool:
        """An existing account with this address is signed in (and connected) only where the
        provider vouches for it in one of the tenant's verified domains (settings.py)."""
        signin = selectors.signin_of(getattr(context.request, "tenant", None))
        return signin is not None and email in _vouched(signin, sociallogin)

    def pre_social_login(self, request, sociallogin) -> None:
        """Every sign-in, new account or not: the provider must vouch for the address, in one of
        the tenant's verified domains; an existing account signs in only while its own address
        is in one of them too."""
        signin = selectors.signin_of(request.tenant)
        emails = [address.email for address in sociallogin.email_addresses]
        if signin.protocol == SignIn.Protocol.OIDC and not providers.nonce_matches(sociallogin):
            raise ImmediateHttpResponse(
                render(
                    request,
                    "sso/nonce.html",
                    {"organisation": signin.organisation or request.tenant.name},
                    status=403,
                )
            )
        if services.trying(request, end=True) == sociallogin.account.provider:
            outcome = services.sso_try_record(
                request, signin, sociallogin, vouched=_vouched(signin, sociallogin)
            )
            raise ImmediateHttpResponse(render(request, "sso/tried.html", outcome))
        if not _vouched(signin, sociallogin):
            _refuse(request, sociallogin, emails[0] if emails else "", domain=bool(emails))
        if sociallogin.is_existing and not signin.domain_verified(sociallogin.user.email):
            _refuse(request, sociallogin, sociallogin.user.email, domain=True)

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True  # pre_social_login let only a vouched address through, whatever the sign-up policy

    def populate_user(self, request, sociallogin, data):
        """A new account's name: the provider's first and last name (attributes or claims)."""
        user = super().populate_user(request, sociallogin, data)
        names = [str(data.get(key) or "").strip() for key in ("first_name", "last_name")]
        user.full_name = clean_name(" ".join(filter(None, names)) or str(data.get("name") or ""))[:200]
        return user

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        signin = selectors.signin_of(request.tenant)
        services.sso_member_join(tenant=request.tenant, user=user, signin=signin, created=True)
        return user


def _vouched(signin, sociallogin) -> list[str]:
    """The addresses the provider vouches for in the tenant's verified domains. OpenID Connect:
    those its email_verified claim is true for (not merely present). SAML has no such claim: a
    signed assertion's address counts as verified where its domain is one of the tenant's."""
    saml = sociallogin.account.provider == signin.provider_id and signin.protocol == SignIn.Protocol.SAML
    for address in sociallogin.email_addresses:
        if saml:
            address.verified = signin.domain_verified(address.email)
        else:
            address.verified = address.verified is True or str(address.verified).lower() == "true"
    return [a.email for a in sociallogin.email_addresses if a.verified and signin.domain_verified(a.email)]


def _refuse(request, sociallogin, email: str, *, domain: bool):
    """Why no account is made or signed in, as a page (allauth shows what this raises)."""
    context = {"email": email, "organisation": sociallogin.provider.app.name, "domain": domain}
    raise ImmediateHttpResponse(render(request, "sso/not_vouched.html", context, status=403))
