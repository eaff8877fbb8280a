"""What a Bearer request must know about its user, cached and invalidated explicitly.

A snapshot per (user, tenant) holds what can make a token stop working: the user's active flag and
password stamp, the membership, the current workgroups and the owner's usable API keys with their
scope and expiry. Checking a token reads no database row.

Invalidation is a generation per user, a random number replaced by every change that touches the
user, their memberships, their workgroups or their keys (see `signals.py`). A snapshot is stored
with the generation read *before* the database was read, so a snapshot built from rows that were
changed meanwhile carries an old generation and is never used: no window in which a revoked key
still works.

Where the generation is read: each process keeps the generations it has seen and the snapshots
built for them, and Redis tells the process when a generation it read changes
(`core.tracking`); a request then costs no round trip at all. When that is off or unavailable,
a request reads the generation and the snapshot from the cache in one MGET.
"""

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, User, WorkgroupMembership
from apikeys.models import ApiKey
from core import cache as shared_cache
from core import tracking

log = logging.getLogger(__name__)
SNAPSHOT_TTL = 3600
LOCAL_SNAPSHOTS_MAX = 10_000
# The versions change with the value formats: a generation is an int, and the Snapshot's fields.
_GEN = "auth:gen:v2:{user}"
_SNAP = "auth:snap:v3:{user}:{tenant}"

_local: dict[tuple[str, str], tuple[int, "Snapshot | None"]] = {}  # (user, tenant) → (generation, snapshot)


@dataclass(frozen=True)
class Snapshot:
    user: dict  # email, full_name, is_active, password_changed_at (epoch seconds or None)
    membership: dict | None  # id, role, is_active
    workgroups: dict  # workgroup id → role
    workgroup_names: dict  # workgroup id → name
    keys: dict  # usable key id → {"expires_at": epoch seconds, "scope": None | [workgroup ids]}
    tokens_valid_from: float | None = None  # the membership's: tokens issued earlier are refused


def snapshot(user_id, tenant_id) -> Snapshot | None:
    """The current snapshot, from memory, the cache or the database (None: no such user)."""
    user_id, tenant_id = str(user_id), str(tenant_id)
    gen_key = _GEN.format(user=user_id)
    generation = _tracked_generation(gen_key)
    if generation is not None:
        known = _local.get((user_id, tenant_id))
        if known is not None and known[0] == generation:
            return known[1]
    generation, snap = _from_cache_or_database(user_id, tenant_id, gen_key)
    if generation is not None and _tracker() is not None:
        if len(_local) >= LOCAL_SNAPSHOTS_MAX:
            _local.clear()
        _local[(user_id, tenant_id)] = (generation, snap)
    return snap


def _from_cache_or_database(user_id: str, tenant_id: str, gen_key: str) -> tuple[int | None, Snapshot | None]:
    snap_key = _SNAP.format(user=user_id, tenant=tenant_id)
    found = cache.get_many([gen_key, snap_key])
    generation = found.get(gen_key)
    if generation is None:  # never set, or evicted: start a new one, so no old snapshot matches
        cache.add(gen_key, _new_generation(), timeout=None)
        generation = cache.get(gen_key)
    cached = found.get(snap_key)
    if cached is not None and cached[0] == generation:
        return generation, cached[1]
    built = _build(user_id, tenant_id)
    cache.set(snap_key, (generation, built), SNAPSHOT_TTL)
    return generation, built


def _tracker() -> tracking.TrackedValues | None:
    return tracking.tracked_values(settings.PORTAL_TRACKING_URL)


def _tracked_generation(gen_key: str) -> int | None:
    tracker = _tracker()
    if tracker is None:
        return None
    try:
        raw = tracker.get(cache.make_key(gen_key))
    except tracking.Unavailable as exc:
        log.warning("%s; reading auth state from the cache instead", exc)
        return None
    return int(raw) if raw is not None else None


def _new_generation() -> int:
    # A random value, not a counter: a counter restarting after an eviction could repeat a value
    # that an old snapshot was stored with. An int, so Redis holds it as plain digits.
    return secrets.randbits(62)


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
    # Owed in the database if Redis does not answer now, and made once it does (core.cache).
    shared_cache.change([_GEN.format(user=user_id) for user_id in user_ids], timeout=None)


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
        }
        for key in keys
    }
