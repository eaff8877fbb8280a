import re
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts import addresses
from accounts.models import (
    JWT_LIFETIME_MAX,
    JWT_LIFETIME_MIN,
    SESSION_IDLE_MAX,
    SESSION_IDLE_MIN,
    SESSION_MAX_HOURS,
    Membership,
    Role,
    Tenant,
    User,
)
from core.errors import Conflict, ServiceError

from .audit import Actor, event_record
from .guards import require_tenant_admin

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_EMAIL_DOMAIN = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalize_domain(domain: str) -> str:
    domain = domain.strip().lower().rstrip(".")
    if not _HOSTNAME.match(domain):
        raise ServiceError(f"{domain!r} is not a valid host name (no scheme, port or path).")
    return domain


@dataclass(frozen=True)
class TenantCreated:
    tenant: Tenant
    created: bool  # False: the tenant was there already
    admin_existed: bool  # True: the admin's account was there already, its password unchanged


def tenant_create(
    *,
    name: str,
    domain: str,
    admin_email: str,
    admin_password: str | None,
    signup_mode: str = Tenant.SignupMode.INVITE_ONLY,
) -> TenantCreated:
    """Create a tenant and its first tenant admin; repeating it for the same tenant changes nothing.
    The admin is the account with exactly this address (canonical form), never a lookalike; an
    existing account keeps its password, and the answer says so."""
    name = name.strip()
    if not name:
        raise ServiceError("A tenant needs a name.")
    if signup_mode not in Tenant.SignupMode.values:
        raise ServiceError(f"Unknown signup mode {signup_mode!r}.")
    domain = normalize_domain(domain)
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().filter(domain=domain).first()
        created = tenant is None
        if tenant is not None and tenant.name != name:
            raise Conflict(f"The domain {domain} is already used by the tenant {tenant.name!r}.")
        if tenant is None:
            slug = _free_slug(name, domain)
            tenant = Tenant.objects.create(name=name, domain=domain, slug=slug, signup_mode=signup_mode)
        admin, existed = _ensure_user(admin_email, admin_password)
        by = Actor.system_actor()
        membership, added = Membership.objects.get_or_create(
            tenant=tenant, user=admin, defaults={"role": Role.ADMIN}
        )
        if created:
            event_record(tenant=tenant, by=by, action="tenant.create", target=tenant, domain=domain)
        if added:
            event_record(tenant=tenant, by=by, action="member.add", target=membership, role=Role.ADMIN)
    return TenantCreated(tenant=tenant, created=created, admin_existed=existed)


def _free_slug(name: str, domain: str) -> str:
    base = slugify(domain.split(".")[0]) or slugify(name) or "tenant"
    slug, n = base[:60], 2
    while Tenant.objects.filter(slug=slug).exists():
        slug, n = f"{base[:56]}-{n}", n + 1
    return slug


def _ensure_user(email: str, password: str | None) -> tuple[User, bool]:
    """The account with exactly this address, and whether it existed; else a new, verified one."""
    email = addresses.canonical(email)
    problem = addresses.problem(email)
    if problem:
        raise ServiceError(f"{email} {problem}.")
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, True
    if not password:
        raise ServiceError(f"{email} has no account yet: give a password for it.")
    candidate = User(email=email)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages)) from None
    user = User.objects.create_user(email, password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user, False


def tenant_policy_update(
    *,
    tenant: Tenant,
    by: Actor,
    signup_mode: str,
    allowed_email_domains: list[str],
    jwt_lifetime_seconds: int,
    apikey_max_lifetime_days: int,
    session_idle_minutes: int | None = None,
    session_max_hours: int | None = None,
) -> Tenant:
    require_tenant_admin(by, tenant)
    session_idle_minutes = (
        tenant.session_idle_minutes if session_idle_minutes is None else session_idle_minutes
    )
    session_max_hours = tenant.session_max_hours if session_max_hours is None else session_max_hours
    domains = _clean_email_domains(allowed_email_domains)
    if signup_mode not in Tenant.SignupMode.values:
        raise ServiceError(f"Unknown signup mode {signup_mode!r}.")
    if signup_mode == Tenant.SignupMode.EMAIL_DOMAIN and not domains:
        raise ServiceError("List at least one email domain for domain-restricted signup.")
    if not JWT_LIFETIME_MIN <= jwt_lifetime_seconds <= JWT_LIFETIME_MAX:
        raise ServiceError("The JWT lifetime must be between 5 minutes and 24 hours.")
    if not 1 <= apikey_max_lifetime_days <= 3650:
        raise ServiceError("The maximum API key lifetime must be between 1 and 3650 days.")
    if not SESSION_IDLE_MIN <= session_idle_minutes <= SESSION_IDLE_MAX:
        raise ServiceError("The session idle timeout must be between 5 minutes and 24 hours.")
    if not 1 <= session_max_hours <= SESSION_MAX_HOURS:
        raise ServiceError("The session's longest life must be between 1 hour and 30 days.")
    new = {
        "signup_mode": signup_mode,
        "allowed_email_domains": domains,
        "jwt_lifetime_seconds": jwt_lifetime_seconds,
        "apikey_max_lifetime_days": apikey_max_lifetime_days,
        "session_idle_minutes": session_idle_minutes,
        "session_max_hours": session_max_hours,
    }
    changed = {k: v for k, v in new.items() if getattr(tenant, k) != v}
    if not changed:
        return tenant
    with transaction.atomic():
        for field, value in changed.items():
            setattr(tenant, field, value)
        tenant.save(update_fields=list(changed))
        event_record(tenant=tenant, by=by, action="tenant.policy_update", target=tenant, **changed)
    return tenant


def _clean_email_domains(domains: list[str]) -> list[str]:
    cleaned = []
    for raw in domains:
        domain = raw.strip().lower().lstrip("@")
        if not domain:
            continue
        if not _EMAIL_DOMAIN.match(domain):
            raise ServiceError(f"{raw!r} is not an email domain (write it as example.org).")
        if domain not in cleaned:
            cleaned.append(domain)
    return sorted(cleaned)
