"""Host → tenant, without a database query on every request.

Each process keeps the tenants it has looked up. Any change to a tenant row (rename, policy,
deactivation, domain change; from services or Django admin) clears this process's copy at once
and bumps a generation counter in the shared cache; every other process compares that counter at
most once a second and drops its copies when it moved. So a deactivated tenant is unreachable
everywhere within about a second, and a request costs no query and, mostly, no Redis round trip.
"""

import copy
import threading
import time
import uuid

from django.core.cache import cache
from django.db import transaction

from accounts.models import Tenant

_GENERATION_KEY = "tenants:generation"
RECHECK_SECONDS = 1.0

_lock = threading.Lock()
_tenants: dict[str, Tenant | None] = {}
_state = {"generation": None, "checked_at": float("-inf")}


def tenant_for_domain(domain: str) -> Tenant | None:
    _revalidate()
    try:
        tenant = _tenants[domain]
    except KeyError:
        tenant = Tenant.objects.filter(domain=domain, is_active=True).first()
        with _lock:
            if len(_tenants) > 10_000:  # unknown hosts must not grow memory without bound
                _tenants.clear()
            _tenants[domain] = tenant
    # A copy per request: a view that changes request.tenant must not change what others see.
    return copy.copy(tenant) if tenant is not None else None


def forget_tenants() -> None:
    """Call on any tenant change: this process now, every process within RECHECK_SECONDS."""
    _tenants.clear()
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    _tenants.clear()
    # A random value, not a counter: a counter restarting after a flush could repeat a value.
    cache.set(_GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def _revalidate() -> None:
    now = time.monotonic()
    if now - _state["checked_at"] < RECHECK_SECONDS:
        return
    generation = cache.get(_GENERATION_KEY)
    with _lock:
        if generation != _state["generation"]:
            _tenants.clear()
            _state["generation"] = generation
        _state["checked_at"] = now
