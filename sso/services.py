"""Writes of a tenant's sign-in configuration, and the accounts its identity provider brings."""

import requests
from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
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
    break_glass: list[User] | None = None,
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
        if mode == SignIn.Mode.SSO:
            _require_sso_only_is_safe(tenant, signin, moved, break_glass or [])
        changed = sorted(name for name, value in fields.items() if getattr(signin, name) != value)
        for name, value in fields.items():
            setattr(signin, name, value)
        if moved:
            signin.worked_at = None  # a new provider has not worked yet
        if client_secret:
            signin.client_secret_sealed = sealed.seal(client_secret)
            changed.append("client_secret")
        elif moved:
            signin.client_secret_sealed = ""
        signin.updated_at = timezone.now()
        signin.save()
        if break_glass is not None and {u.pk for u in break_glass} != set(
            signin.break_glass.values_list("pk", flat=True)
        ):
            signin.break_glass.set(break_glass)
            changed.append("break_glass")
            fields["break_glass"] = sorted(user.email for user in break_glass)
        changed = [name for name in changed if name != "authorization_origin"]
        if changed:
            shown = {name: fields[name] for name in changed if name in fields}  # never the secret
            event_record(
                tenant=tenant, by=by, action="signin.update", target=signin, changed=changed, **shown
            )
    return signin


def _require_sso_only_is_safe(tenant: Tenant, signin: SignIn, moved: bool, break_glass: list[User]) -> None:
    """SSO only once it has worked (someone signed in through this provider), and with at least one
    break-glass admin: an active tenant admin with TOTP, who keeps a password if the provider fails."""
    if moved or signin.worked_at is None:
        raise ServiceError(
            "Single sign-on only is offered once someone has signed in through this provider: "
            "save it with “Password, or the organisation's single sign-on”, try it, then come back."
        )
    if not break_glass:
        raise ServiceError("Name at least one break-glass admin, who keeps password and TOTP sign-in.")
    admins = set(
        Membership.objects.filter(tenant=tenant, role=Role.ADMIN, is_active=True).values_list(
            "user_id", flat=True
        )
    )
    for user in break_glass:
        if user.pk not in admins:
            raise ServiceError(f"{user.email} is not an active tenant admin here.")
        if not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
            raise ServiceError(
                f"{user.email} has no authenticator app (TOTP) yet: a break-glass admin needs one."
            )


def password_allowed(*, tenant: Tenant | None, user) -> bool:
    """Whether `user` may sign in other than through the provider (a password, at the pages or
    POST /api/tokens) at `tenant`: always, unless it is single sign-on only; then only a
    break-glass admin who is still an active tenant admin there, with TOTP."""
    signin = SignIn.objects.filter(tenant=tenant).first() if tenant is not None else None
    if signin is None or not signin.sso_only:
        return True
    return (
        user.is_active
        and signin.break_glass.filter(pk=user.pk).exists()
        and Membership.objects.filter(tenant=tenant, user=user, role=Role.ADMIN, is_active=True).exists()
        and is_mfa_enabled(user, [Authenticator.Type.TOTP])
    )


def signed_in_through_provider(request, user, signin: SignIn) -> bool:
    """Whether this session's sign-in came through `signin`'s provider (allauth's records of how
    the session authenticated), not a password."""
    records = get_authentication_records(request, user)
    return any(
        r.get("method") == "socialaccount" and r.get("provider") == signin.provider_id for r in records
    )


def sign_in_allowed(request, user) -> bool:
    """Password sign-ins where passwords are allowed; at a single-sign-on-only tenant, sign-ins
    through its provider, and its break-glass admins'."""
    tenant = getattr(request, "tenant", None)
    signin = SignIn.objects.filter(tenant=tenant).first() if tenant is not None else None
    if signin is None or not signin.sso_only:
        return True
    return signed_in_through_provider(request, user, signin) or password_allowed(tenant=tenant, user=user)


def signin_domains_set(*, tenant: Tenant, domains: list[str], by: Actor) -> SignIn:
    """The operators' word that these email domains are the tenant's (manage.py sso_domains): the
    only addresses its identity provider may make or sign in accounts for. Not a tenant admin's."""
    if not by.system:
        raise Forbidden("Only the operators verify a tenant's email domains.")
    clean = sorted({domain.strip().lower().lstrip("@") for domain in domains if domain.strip()})
    for other in SignIn.objects.exclude(tenant=tenant).exclude(verified_domains=[]):
        if shared := set(clean) & set(other.verified_domains):
            raise ServiceError(f"{', '.join(sorted(shared))} is verified as {other.tenant.domain}'s already.")
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
    """allauth's user_logged_in: a sign-in through the tenant's identity provider is an event (and
    shows the configuration works); so is a break-glass admin's password sign-in in SSO-only mode."""
    tenant = getattr(request, "tenant", None)
    signin = SignIn.objects.filter(tenant=tenant).first() if tenant is not None else None
    if signin is None:
        return
    membership = Membership.objects.filter(tenant=tenant, user=user).first()
    by = Actor(user=user, membership=membership, ip=client_ip(request))
    if sociallogin is not None and sociallogin.account.provider == signin.provider_id:
        SignIn.objects.filter(pk=signin.pk, worked_at__isnull=True).update(worked_at=timezone.now())
        event_record(tenant=tenant, by=by, action="sso.sign_in", target=user, issuer=signin.issuer)
    elif sociallogin is None and signin.sso_only:
        event_record(tenant=tenant, by=by, action="sso.break_glass", target=user)
