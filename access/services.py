"""Writes of the tenant's access policy, and the records that policy is judged by: sign-ins with
where they came from, and requests refused by a network rule."""

from allauth.mfa.webauthn.internal.flows import did_use_passwordless_login
from django.db import transaction
from django.utils import timezone

from access.passwords import CLASSES
from access.rules import AREAS, OutsideNetworks
from accounts import addresses
from accounts.models import (
    MFA_GRACE_MAX,
    PASSWORD_HISTORY_MAX,
    PASSWORD_MAX_AGE_DAYS,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    Membership,
    MfaRequired,
    Tenant,
)
from accounts.requests import client_ip, limit_unit
from accounts.services import Actor, event_record
from accounts.services.guards import require_tenant_admin
from core import networks, usage
from core.errors import API_PATHS, ServiceError
from core.ratelimit import Limits

USAGE_REFUSED = "access.refused"  # core.usage kind: refused requests per tenant, day and rule
LOGIN = "login"  # the event of every sign-in, whatever the method and application


def network_policy_update(
    *, tenant: Tenant, by: Actor, allowed: list[str], guarded: dict[str, bool], via: str
) -> Tenant:
    """Set where `tenant` may be reached from. `guarded`: area → whether the list applies to it;
    `via`: the area the admin makes the change through, who must stay able to reach it."""
    require_tenant_admin(by, tenant)
    try:
        allowed = networks.normalised(allowed)
    except networks.BadNetworks as exc:
        raise ServiceError(str(exc), code="invalid_networks") from None
    guarded = {area: bool(guarded.get(area)) for area in AREAS}
    if any(guarded.values()) and not allowed:
        raise ServiceError(
            "List at least one allowed range, or apply the list to nothing.", code="invalid_networks"
        )
    if guarded[via] and not networks.within(by.ip, allowed):
        raise ServiceError(
            f"This would lock you out: your address ({by.ip or 'unknown'}) is in none of the allowed "
            f"ranges, and they would apply to {AREAS[via]}, which you are using now. Add a range that "
            "holds your address, or make the change from inside the allowed networks.",
            code="would_lock_out",
        )
    new = {"allowed_networks": allowed} | {f"networks_for_{area}": on for area, on in guarded.items()}
    return _tenant_change(tenant, by, "access.networks", new)


def password_policy_update(
    *, tenant: Tenant, by: Actor, min_length: int, classes: list[str], history: int, max_age_days: int
) -> Tenant:
    """Set the rules new passwords at `tenant` meet; a right password that no longer meets them
    is changed at its next sign-in here (`access.adapter`)."""
    require_tenant_admin(by, tenant)
    if not PASSWORD_MIN_LENGTH <= min_length <= PASSWORD_MAX_LENGTH:
        raise ServiceError(
            f"The shortest password must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters."
        )
    if unknown := set(classes) - set(CLASSES):
        raise ServiceError(f"Unknown character classes: {', '.join(sorted(unknown))}.")
    if not 0 <= history <= PASSWORD_HISTORY_MAX:
        raise ServiceError(f"Earlier passwords remembered: 0 to {PASSWORD_HISTORY_MAX}.")
    if not 0 <= max_age_days <= PASSWORD_MAX_AGE_DAYS:
        raise ServiceError(f"A password's longest life: 0 (for ever) to {PASSWORD_MAX_AGE_DAYS} days.")
    new = {
        "password_min_length": min_length,
        "password_classes": sorted(set(classes)),
        "password_history": history,
        "password_max_age_days": max_age_days,
    }
    return _tenant_change(tenant, by, "access.passwords", new)


def mfa_policy_update(
    *, tenant: Tenant, by: Actor, required: str, grace_days: int, passkey_login: bool
) -> Tenant:
    """Whom `tenant` requires a second factor of, after how many days of asking; and whether a
    passkey may sign in alone. Requiring it of more people starts the grace days anew."""
    require_tenant_admin(by, tenant)
    if required not in MfaRequired.values:
        raise ServiceError(f"Required of: one of {', '.join(MfaRequired.values)}.")
    if not 0 <= grace_days <= MFA_GRACE_MAX:
        raise ServiceError(f"Grace days: 0 to {MFA_GRACE_MAX}.")
    new = {"mfa_required": required, "mfa_grace_days": grace_days, "passkey_login": passkey_login}
    widened = _covers(required) > _covers(tenant.mfa_required)
    if widened or required == MfaRequired.OFF:
        new["mfa_required_since"] = timezone.now() if widened else None
        new["mfa_admins_since"] = (tenant.mfa_admins_since or timezone.now()) if widened else None
    return _tenant_change(tenant, by, "access.mfa", new)


def _tenant_change(tenant: Tenant, by: Actor, action: str, new: dict) -> Tenant:
    """Save the fields of `new` that differ, and the event saying what they became, together."""
    changed = {name: value for name, value in new.items() if getattr(tenant, name) != value}
    if changed:
        with transaction.atomic():
            for name, value in changed.items():
                setattr(tenant, name, value)
            tenant.save(update_fields=list(changed))
            shown = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in changed.items()}
            event_record(tenant=tenant, by=by, action=action, target=tenant, **shown)
    return tenant


def _covers(required: str) -> int:
    return [MfaRequired.OFF, MfaRequired.ADMINS, MfaRequired.EVERYONE].index(required)


def signin_record(*, tenant: Tenant, user, ip: str | None, method: str, application: str) -> None:
    """A sign-in succeeded at `tenant`: the login report's row, and what a network preview counts."""
    event_record(
        tenant=tenant, by=Actor(user=user, ip=ip), action=LOGIN, target=user, method=method,
        application=application,
    )  # fmt: skip


def login_record(sender, request, user, sociallogin=None, **kwargs) -> None:
    """Django's user_logged_in (every browser sign-in, through allauth or not)."""
    tenant = getattr(request, "tenant", None)
    if (
        tenant is not None and Membership.objects.filter(tenant=tenant, user=user).exists()
    ):  # not a stranger's
        method = (
            "sso" if sociallogin is not None else "passkey" if _passwordless(request, user) else "password"
        )
        signin_record(tenant=tenant, user=user, ip=client_ip(request), method=method, application="browser")


def _passwordless(request, user) -> bool:
    return did_use_passwordless_login(request, user)


def login_failure_record(sender, credentials, request=None, **kwargs) -> None:
    """Django's user_login_failed (the login page, and POST /api/tokens with a password): the login
    report's failed sign-ins, capped as refusals are."""
    tenant = getattr(request, "signin_tenant", None) or getattr(request, "tenant", None)
    if tenant is None:
        return
    email = addresses.canonical(str(credentials.get("email") or credentials.get("username") or ""))[:254]
    application = "api" if request.path_info.startswith(API_PATHS) else "browser"
    _capped_event(
        tenant, client_ip(request), "login.failed", email=email.replace("\x00", ""), application=application
    )


def exchange_failure_record(*, tenant: Tenant | None, ip: str | None, key_prefix: str) -> None:
    """A key exchange refused at a tenant's host (a wrong, revoked or expired key)."""
    if tenant is not None:
        _capped_event(tenant, ip, "apikey.exchange_failed", key_prefix=key_prefix)


def _capped_event(tenant: Tenant, ip: str | None, action: str, **data) -> None:
    """An event of an attempt that failed or was refused: at most PORTAL_RATES["refused-events"] a
    minute per address, so nobody can fill the event log with them."""
    limits = Limits(counted=[("refused-events", f"{tenant.pk}:{limit_unit(ip)}")])
    if limits.retry_after() is None:
        event_record(tenant=tenant, by=Actor(user=None, ip=ip), action=action, **data)


def refused_record(*, tenant: Tenant, refusal: OutsideNetworks, what: str, attempt: bool) -> None:
    """A request refused by a network rule: counted by day and rule. An `attempt` (to sign in, to
    exchange a key, to change something: not a GET) is also an event, at most PORTAL_RATES
    ["refused-events"] a minute per address, so nobody outside can fill the event log."""
    usage.count(USAGE_REFUSED, tenant.pk, detail=refusal.rule)
    if attempt:  # PostgreSQL's JSON takes no NUL
        _capped_event(
            tenant, refusal.ip, "access.refused", rule=refusal.rule, request=what.replace("\x00", "")[:200]
        )
