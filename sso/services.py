"""Writes of a tenant's sign-in configuration, and the accounts its identity provider brings."""

import requests
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role, Tenant, User
from accounts.requests import client_ip
from accounts.services import Actor, event_record, member_join
from accounts.services.guards import require_tenant_admin
from core import sealed
from core.errors import Forbidden, ServiceError
from sso import fetch
from sso.models import SignIn


def signin_update(
    *,
    tenant: Tenant,
    by: Actor,
    mode: str,
    organisation: str,
    issuer: str,
    client_id: str,
    client_secret: str = "",
    scopes: str = "openid email profile",
) -> SignIn:
    """Set the tenant's sign-in. A blank `client_secret` keeps the one stored (it is never shown),
    unless the issuer or client ID changes: the stored one is never sent to another provider.
    With single sign-on on, the issuer's discovery document is read first and must name it."""
    require_tenant_admin(by, tenant)
    if mode not in SignIn.Mode.values:
        raise ServiceError(f"Unknown sign-in mode {mode!r}.")
    scopes = " ".join(dict.fromkeys(scopes.split()))
    if "openid" not in scopes.split():
        raise ServiceError("The scopes must include openid.")
    fields = {"mode": mode, "organisation": organisation.strip(), "issuer": issuer.strip().rstrip("/"),
              "client_id": client_id.strip(), "scopes": scopes}  # fmt: skip
    if "/.well-known/" in fields["issuer"]:
        raise ServiceError("Give the issuer itself, not its discovery document's address.")
    if mode != SignIn.Mode.PASSWORD:
        if not (fields["issuer"] and fields["client_id"]):
            raise ServiceError("Single sign-on needs the identity provider's issuer URL and client ID.")
        fields["authorization_origin"] = _discovered_origin(fields["issuer"])
    with transaction.atomic():
        signin, _ = SignIn.objects.select_for_update().get_or_create(tenant=tenant)
        moved = (signin.issuer, signin.client_id) != (fields["issuer"], fields["client_id"])
        if mode != SignIn.Mode.PASSWORD and not client_secret and (moved or not signin.client_secret_sealed):
            raise ServiceError(
                "Give the client secret the identity provider gave"
                + (" again: the issuer or client ID changed." if signin.client_secret_sealed else ".")
            )
        changed = sorted(name for name, value in fields.items() if getattr(signin, name) != value)
        for name, value in fields.items():
            setattr(signin, name, value)
        if client_secret:
            signin.client_secret_sealed = sealed.seal(client_secret)
            changed.append("client_secret")
        elif moved:
            signin.client_secret_sealed = ""
        signin.updated_at = timezone.now()
        signin.save()
        changed = [name for name in changed if name != "authorization_origin"]
        if changed:
            shown = {name: fields[name] for name in changed if name in fields}  # never the secret
            event_record(
                tenant=tenant, by=by, action="signin.update", target=signin, changed=changed, **shown
            )
    return signin


def signin_domains_set(*, tenant: Tenant, domains: list[str], by: Actor) -> SignIn:
    """The operators' word that these email domains are the tenant's (manage.py sso_domains): the
    only addresses its identity provider may make or sign in accounts for. Not a tenant admin's."""
    if not by.system:
        raise Forbidden("Only the operators verify a tenant's email domains.")
    clean = sorted({domain.strip().lower().lstrip("@") for domain in domains if domain.strip()})
    with transaction.atomic():
        signin, _ = SignIn.objects.select_for_update().get_or_create(tenant=tenant)
        if clean != signin.verified_domains:
            signin.verified_domains = clean
            signin.save(update_fields=["verified_domains"])
            event_record(tenant=tenant, by=by, action="signin.domains", target=signin, domains=clean)
    return signin


def _discovered_origin(issuer: str) -> str:
    """Read the issuer's discovery document as a sign-in will: it must name this issuer and its
    endpoints; the origin of its authorization endpoint (where the sign-in page's form leads)."""
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        fetch.check_url(issuer)
        response = fetch.session().get(url)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ServiceError(f"The identity provider's discovery document could not be read: {exc}") from None
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ServiceError(f"The discovery document at {url} names another issuer than {issuer}.")
    endpoints = [document.get(name) for name in ("authorization_endpoint", "token_endpoint")]
    try:
        for endpoint in endpoints:
            fetch.check_url(str(endpoint or ""))
    except fetch.Refused as exc:
        raise ServiceError(f"The discovery document's endpoints are not usable: {exc}") from None
    return fetch.origin(endpoints[0])


def sso_member_join(*, tenant: Tenant, user: User, signin: SignIn, created: bool) -> Membership | None:
    """The account the tenant's identity provider just made (just-in-time) becomes a member. Only
    then: someone a tenant admin removed later is not made a member again by signing in."""
    membership = Membership.objects.filter(tenant=tenant, user=user).first()
    if membership is not None:
        return membership
    by = Actor(user=user)
    with transaction.atomic():
        membership = member_join(tenant=tenant, user=user, by=by, role=Role.MEMBER, via="sso")
        if created:
            event_record(tenant=tenant, by=by, action="sso.account_create", target=user, issuer=signin.issuer)
    return membership


def sso_sign_in_record(sender, request, user, sociallogin=None, **kwargs) -> None:
    """allauth's user_logged_in: a sign-in through the tenant's identity provider is an event."""
    tenant = getattr(request, "tenant", None)
    signin = SignIn.objects.filter(tenant=tenant).first() if tenant is not None else None
    if sociallogin is None or signin is None or sociallogin.account.provider != signin.provider_id:
        return
    membership = Membership.objects.filter(tenant=tenant, user=user).first()
    by = Actor(user=user, membership=membership, ip=client_ip(request))
    event_record(tenant=tenant, by=by, action="sso.sign_in", target=user, issuer=signin.issuer)
