"""What a Bearer request must know about its user, cached in Redis and invalidated explicitly.

A snapshot per (user, tenant) holds what can make a token stop working: the user's active flag and
password stamp, the membership, the current workgroups and the owner's usable API keys with their
scope and expiry. Checking a token is then one cache round trip (MGET of the user's generation and
the snapshot), not a database query.

Invalidation is a generation counter per user, bumped by every change that touches the user,
their memberships or their keys (see `signals.py`). A snapshot is stored with the generation read
*before* the database was read, so a snapshot built from rows that were changed meanwhile carries
an old generation and is never used: no window in which a revoked key still works.
"""

import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, User, WorkgroupMembership
from apikeys.models import ApiKey

SNAPSHOT_TTL = 3600
_GEN = "auth:gen:{user}"
_SNAP = "auth:snap:v2:{user}:{tenant}"  # the version changes with the Snapshot fields


@dataclass(frozen=True)
class Snapshot:
    user: dict  # email, full_name, is_active, password_changed_at (epoch seconds or None)
    membership: dict | None  # id, role, is_active
    workgroups: dict  # workgroup id → role
    workgroup_names: dict  # workgroup id → name
    keys: dict  # usable key id → {"expires_at": epoch seconds, "scope": None | [workgroup ids]}


def snapshot(user_id, tenant_id) -> Snapshot | None:
    """The current snapshot, from the cache or rebuilt from the database (None: no such user)."""
    gen_key, snap_key = _GEN.format(user=user_id), _SNAP.format(user=user_id, tenant=tenant_id)
    found = cache.get_many([gen_key, snap_key])
    generation = found.get(gen_key)
    if generation is None:  # never set, or evicted: start a new one, so no old snapshot matches
        cache.add(gen_key, uuid.uuid4().hex, timeout=None)
        generation = cache.get(gen_key)
    cached = found.get(snap_key)
    if cached is not None and cached[0] == generation:
        return cached[1]
    built = _build(user_id, tenant_id)
    cache.set(snap_key, (generation, built), SNAPSHOT_TTL)
    return built


def invalidate(user_id) -> None:
    """Make every cached snapshot of this user stale: now, and again once the transaction commits.

    The first bump stops the old snapshot at once; the second discards any snapshot another
    request built in between from rows this transaction had not committed yet.
    """
    invalidate_many([user_id])


def invalidate_many(user_ids) -> None:
    """`invalidate` for many users at once (e.g. every member of a renamed workgroup)."""
    user_ids = list(user_ids)
    if user_ids:
        _bump(*user_ids)
        transaction.on_commit(lambda: _bump(*user_ids))


def _bump(*user_ids) -> None:
    # A random value, not a counter: a counter restarting after an eviction could repeat a value
    # that an old snapshot was stored with.
    cache.set_many({_GEN.format(user=user_id): uuid.uuid4().hex for user_id in user_ids}, timeout=None)


def _build(user_id, tenant_id) -> Snapshot | None:
    user = User.objects.filter(pk=user_id).values("email", "full_name", "is_active", "password_changed_at")
    user = user.first()
    if user is None:
        return None
    changed = user["password_changed_at"]
    user["password_changed_at"] = changed.timestamp() if changed else None
    membership = (
        Membership.objects.filter(user_id=user_id, tenant_id=tenant_id)
        .values("id", "role", "is_active")
        .first()
    )
    workgroups = WorkgroupMembership.objects.filter(
        user_id=user_id, workgroup__tenant_id=tenant_id
    ).values_list("workgroup_id", "role", "workgroup__name")
    return Snapshot(
        user=user,
        membership=membership,
        workgroups={str(wg): role for wg, role, _ in workgroups},
        workgroup_names={str(wg): name for wg, _, name in workgroups},
        keys=_usable_keys(user_id, tenant_id),
    )


def _usable_keys(user_id, tenant_id) -> dict:
    keys = ApiKey.objects.filter(
        user_id=user_id, tenant_id=tenant_id, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).prefetch_related("workgroups")
    return {
        str(key.pk): {
            "expires_at": key.expires_at.timestamp(),
            "scope": None if key.all_workgroups else sorted(str(wg.pk) for wg in key.workgroups.all()),
        }
        for key in keys
    }
