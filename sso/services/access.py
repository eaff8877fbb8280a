"""Who may sign in how at a tenant whose identity provider is the only way in."""

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled

from accounts.models import Membership, Role, Tenant
from sso.models import SignIn


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


def uses_sso(tenant: Tenant) -> bool:
    """Whether the tenant signs in through its identity provider (alone or beside passwords)."""
    signin = SignIn.objects.filter(tenant=tenant).first()
    return signin is not None and signin.uses_sso
