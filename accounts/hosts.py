"""Host → tenant (and tenant id → tenant), without a database query on every request.

Each process keeps the tenants it has looked up. Any change to a tenant row (rename, policy,
deactivation, domain change; from services or Django admin) clears this process's copy at once
and replaces a generation value in the shared cache; every other process drops its copies when
that value moved. Redis tells each process when it moves (`core.tracking`), so a deactivated
tenant is unreachable everywhere on the next request and a request costs no query and no round
trip. Without tracking, processes compare the value at most once a second.
"""

import copy
import threading
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Tenant
from core import cache as shared_cache
from core import tracking

_GENERATION_KEY = "tenants:generation"
RECHECK_SECONDS = 1.0

_lock = threading.Lock()
_tenants: dict[str, Tenant | None] = {}  # domain → active tenant, or None
_by_id: dict[str, Tenant | None] = {}  # id → active tenant, or None
_state = {"generation": None, "checked_at": float("-inf")}


def tenant_for_domain(domain: str) -> Tenant | None:
    return _lookup(_tenants, domain, "domain")


def tenant_by_id(tenant_id: str) -> Tenant | None:
    """The active tenant with this id (a token's `tid`, an API key's tenant), or None."""
    return _lookup(_by_id, str(tenant_id), "pk")


def _lookup(known: dict, value: str, field: str) -> Tenant | None:
    _revalidate()
    try:
        tenant = known[value]
    except KeyError:
        try:
            tenant = Tenant.objects.filter(**{field: value, "is_active": True}).first()
        except ValidationError:  # not a UUID
            tenant = None
        with _lock:
            if len(known) > 10_000:  # unknown hosts must not grow memory without bound
                known.clear()
            known[value] = tenant
    # A copy per request: a view that changes request.tenant must not change what others see.
    return copy.copy(tenant) if tenant is not None else None


def tenants_generation():
    """A value that changes with any change to any tenant (None before the first): what copies of
    tenant state kept elsewhere (licenses.credstate) are checked against."""
    _revalidate()
    return _state["generation"]


def forget_tenants() -> None:
    """Call on any tenant change: this process now, every process within RECHECK_SECONDS."""
    _clear()
    _bump()
    transaction.on_commit(_bump)


def _clear() -> None:
    _tenants.clear()
    _by_id.clear()


def _bump() -> None:
    _clear()
    shared_cache.change([_GENERATION_KEY], timeout=None)  # owed while Redis does not answer


def _revalidate() -> None:
    tracker = tracking.tracked_values(settings.PORTAL_TRACKING_URL)
    if tracker is not None:
        try:  # exact on every request, from memory (core/tracking.py)
            generation = tracker.get(cache.make_key(_GENERATION_KEY))
        except tracking.Unavailable:
            generation = None
        if generation is not None:
            _adopt(generation, time.monotonic())
            return
    now = time.monotonic()
    if now - _state["checked_at"] >= RECHECK_SECONDS:
        _adopt(_shared_generation(), now)


def _shared_generation():
    generation = cache.get(_GENERATION_KEY)
    if generation is None:  # never set or evicted: start one, which every process then sees
        cache.add(_GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        generation = cache.get(_GENERATION_KEY)
    # None: Redis does not answer, so another process's change cannot be seen; a value never seen
    # before drops this process's copies, which then live at most RECHECK_SECONDS.
    return generation if generation is not None else uuid.uuid4().hex


def _adopt(generation, now: float) -> None:
    with _lock:
        if generation != _state["generation"]:
            _clear()
            _state["generation"] = generation
        _state["checked_at"] = now
