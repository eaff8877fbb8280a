"""What a Bearer request must know about its user: a snapshot per (user, tenant) of what can make a
token stop working (the user's active flag and password stamp, the membership, the workgroups,
the owner's usable API keys with their scope and expiry). Checking a token reads no database row.

Each process keeps snapshots (`core.generations`) stamped with a generation per user, replaced by
every write to the rows it was built from (`watch`, `core.invalidation`), so a revoked key is
refused by the next request in any process.
"""

from dataclasses import dataclass

from django.utils import timezone

from accounts.models import Membership, User, Workgroup, WorkgroupMembership
from apikeys.models import ApiKey
from core.generations import Copies
from core.invalidation import feeds, feeds_through

_copies = Copies("auth:v4")  # the version changes with the Snapshot's fields


@dataclass(frozen=True)
class Snapshot:
    user: dict  # email, full_name, is_active, password_changed_at (epoch seconds or None)
    membership: dict | None  # id, role, is_active
    workgroups: dict  # workgroup id → role
    workgroup_names: dict  # workgroup id → name
    keys: dict  # usable key id → {"expires_at": epoch seconds, "scope": None | [workgroup ids],
    #            "networks": [CIDR text] (empty: wherever the tenant allows)}
    tokens_valid_from: float | None = None  # the membership's: tokens issued earlier are refused


def snapshot(user_id, tenant_id) -> Snapshot | None:
    """The current snapshot, from this process's copy or the database (None: no such user)."""
    user_id, tenant_id = str(user_id), str(tenant_id)
    return _copies.read(
        (user_id, tenant_id), [_copies.generation(user_id)], lambda: _build(user_id, tenant_id)
    )


def watch() -> None:
    """The rows `_build` reads, the fields it reads of them, and whose snapshots they are."""
    feeds(User, _copies, _pks, fields=["email", "full_name", "is_active", "password_changed_at"])
    feeds(
        Membership,
        _copies,
        _users,
        fields=["user", "tenant", "role", "is_active", "tokens_valid_from"],
        owners=["user"],
    )
    feeds(WorkgroupMembership, _copies, _users, fields=["user", "workgroup", "role"], owners=["user"])
    feeds(Workgroup, _copies, _members, fields=["name"])  # snapshots carry workgroup names
    feeds(
        ApiKey,
        _copies,
        _users,
        fields=["user", "tenant", "revoked_at", "expires_at", "all_workgroups", "allowed_networks"],
        owners=["user"],
    )
    feeds_through(ApiKey.workgroups, _copies, _users)


def _pks(rows):
    return rows.values_list("pk", flat=True)


def _users(rows):
    return rows.values_list("user_id", flat=True)


def _members(workgroups):
    return WorkgroupMembership.objects.filter(workgroup__in=workgroups).values_list("user_id", flat=True)


def _build(user_id, tenant_id) -> Snapshot | None:
    user = User.objects.filter(pk=user_id).values("email", "full_name", "is_active", "password_changed_at")
    user = user.first()
    if user is None:
        return None
    changed = user["password_changed_at"]
    user["password_changed_at"] = changed.timestamp() if changed else None
    membership = (
        Membership.objects.filter(user_id=user_id, tenant_id=tenant_id)
        .values("id", "role", "is_active", "tokens_valid_from")
        .first()
    )
    valid_from = membership.pop("tokens_valid_from") if membership else None
    workgroups = WorkgroupMembership.objects.filter(
        user_id=user_id, workgroup__tenant_id=tenant_id
    ).values_list("workgroup_id", "role", "workgroup__name")
    return Snapshot(
        user=user,
        membership=membership,
        workgroups={str(wg): role for wg, role, _ in workgroups},
        workgroup_names={str(wg): name for wg, _, name in workgroups},
        keys=_usable_keys(user_id, tenant_id),
        tokens_valid_from=valid_from.timestamp() if valid_from else None,
    )


def _usable_keys(user_id, tenant_id) -> dict:
    keys = ApiKey.objects.filter(
        user_id=user_id, tenant_id=tenant_id, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).prefetch_related("workgroups")
    return {
        str(key.pk): {
            "expires_at": key.expires_at.timestamp(),
            "scope": None if key.all_workgroups else sorted(str(wg.pk) for wg in key.workgroups.all()),
            "networks": tuple(key.allowed_networks),
        }
        for key in keys
    }
