"""Tenant password policies: the shortest length, the character classes, no reuse of the last N,
and the longest a password lives. Django's common-password and similarity checks always run
beside them (settings.AUTH_PASSWORD_VALIDATORS).

A person in two tenants chooses a password that meets the stricter of their tenants' policies;
one signing in to a tenant whose policy their password no longer meets (it changed, or the
password grew old) must change it before anything else (`access.middleware`)."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.hashers import check_password
from django.utils import timezone

from access.models import PasswordHistory
from accounts.models import PASSWORD_HISTORY_MAX, PASSWORD_MIN_LENGTH, Membership, Tenant, User

CLASSES = {
    "lower": "a lower-case letter",
    "upper": "an upper-case letter",
    "digit": "a digit",
    "symbol": "a symbol or punctuation mark",
}


def _has(kind: str, password: str) -> bool:
    tests = {
        "lower": str.islower,
        "upper": str.isupper,
        "digit": str.isdigit,
        "symbol": lambda c: not c.isalnum() and not c.isspace(),
    }
    return any(tests[kind](c) for c in password)


@dataclass(frozen=True)
class Policy:
    min_length: int = PASSWORD_MIN_LENGTH
    classes: frozenset[str] = field(default_factory=frozenset)
    history: int = 0
    max_age_days: int = 0  # 0: never expires

    @classmethod
    def of(cls, tenant: Tenant) -> "Policy":
        return cls(
            tenant.password_min_length, frozenset(tenant.password_classes), tenant.password_history,
            tenant.password_max_age_days,
        )  # fmt: skip

    def __or__(self, other: "Policy") -> "Policy":
        """The stricter of two, rule by rule."""
        ages = [age for age in (self.max_age_days, other.max_age_days) if age]
        return Policy(
            max(self.min_length, other.min_length), self.classes | other.classes,
            max(self.history, other.history), min(ages, default=0),
        )  # fmt: skip

    def describe(self) -> str:
        needs = [f"at least {self.min_length} characters"] + [CLASSES[kind] for kind in sorted(self.classes)]
        return ", ".join(needs)


def policy_for(user: User | None, tenant: Tenant) -> Policy:
    """What a new password of `user` must meet when chosen at `tenant`: the stricter of every
    tenant they are an active member of, this one included."""
    policy = Policy.of(tenant)
    if user is not None and not user._state.adding:  # sign-up's user is not saved yet
        others = Tenant.objects.filter(
            pk__in=Membership.objects.filter(user=user, is_active=True).values("tenant_id"), is_active=True
        )
        for other in others:
            policy |= Policy.of(other)
    return policy


def shortfalls(password: str, policy: Policy) -> list[str]:
    """What `password` lacks under `policy`, each in words for the person choosing it."""
    found = []
    if len(password) < policy.min_length:
        found.append(f"It must have at least {policy.min_length} characters.")
    found += [f"It must have {CLASSES[kind]}." for kind in sorted(policy.classes) if not _has(kind, password)]
    return found


def reused(user: User, password: str, policy: Policy) -> bool:
    """Whether `password` is the current one or one of the policy's last N (the current counts)."""
    if policy.history <= 0 or user._state.adding:
        return False
    earlier = PasswordHistory.objects.filter(user=user).values_list("password", flat=True)
    hashes = [user.password, *earlier[: policy.history - 1]]
    return any(encoded and check_password(password, encoded) for encoded in hashes)


def expired(user: User, policy: Policy, *, now=None) -> bool:
    if policy.max_age_days <= 0:
        return False
    since = user.password_changed_at or user.date_joined
    return (now or timezone.now()) - since > timedelta(days=policy.max_age_days)


def sign_in_problem(user: User, password: str, tenant: Tenant) -> str | None:
    """Why a right password must be changed before signing in to `tenant` goes on, or None."""
    policy = Policy.of(tenant)
    if expired(user, policy):
        days = policy.max_age_days
        return f"Your password is older than {tenant.name} allows ({days} days): choose a new one."
    if shortfalls(password, policy):
        return f"Your password no longer meets {tenant.name}'s rules ({policy.describe()}): choose a new one."
    return None


def history_record(user: User) -> None:
    """Keep the password being replaced, and no more than the longest history any policy asks."""
    if user._state.adding or not user.has_usable_password():
        return
    PasswordHistory.objects.create(user=user, password=user.password)
    stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[PASSWORD_HISTORY_MAX:]
    PasswordHistory.objects.filter(pk__in=list(stale)).delete()
