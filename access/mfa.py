"""A tenant's required second factor: whom it covers, from when, and whether someone has one.

Required of tenant admins or of everyone. From the moment it is required (or from joining, if
later) members have the tenant's grace days, in which every sign-in asks them to set one up;
after that a sign-in without one stops at setting it up. A second factor is TOTP or a passkey
(recovery codes back those up; they are not one on their own). It applies to sign-ins through the
tenant's identity provider alike: allauth asks for the factor after those too."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.utils import timezone

from accounts.models import MfaRequired, Role, Tenant

FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


@dataclass(frozen=True)
class Requirement:
    deadline: datetime  # asked until then; required from then

    @property
    def enforced(self) -> bool:
        return timezone.now() >= self.deadline

    def days_left(self) -> int:
        return max(0, (self.deadline - timezone.now()).days)


def requirement(tenant: Tenant, membership) -> Requirement | None:
    """What the tenant asks of this member (None: nothing)."""
    admin = membership is not None and membership.role == Role.ADMIN
    covered = tenant.mfa_required == MfaRequired.EVERYONE or (
        tenant.mfa_required == MfaRequired.ADMINS and admin
    )
    # An admin's days count from when admins were first covered: widening the rule to everyone
    # gives everyone else their grace days, and admins none anew.
    since = (tenant.mfa_admins_since if admin else None) or tenant.mfa_required_since
    if not covered or membership is None or since is None:
        return None
    start = max(since, membership.created_at)
    return Requirement(deadline=start + timedelta(days=tenant.mfa_grace_days))


def has_second_factor(user) -> bool:
    return is_mfa_enabled(user, FACTORS)


def missing(tenant: Tenant, membership, user) -> Requirement | None:
    """The requirement this member does not meet yet, or None."""
    required = requirement(tenant, membership)
    return required if required is not None and not has_second_factor(user) else None
