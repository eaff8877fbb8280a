"""Process-local copies of what a request builds from the database, exact across processes.

A copy is stamped with shared *generations* (random values in the cache) read before the database
was; every write to the rows behind it replaces them (`core.invalidation`: now and again after the
commit, so a copy built from uncommitted rows is never used), and a copy whose stamp no longer
matches is built again. Generations come from memory where Redis tells this process of changes
(`core.tracking`), else from one cache round trip; when Redis fails they miss: the database."""

import functools
import logging
import threading

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core import cache as shared_cache
from core import tracking

log = logging.getLogger(__name__)


class Copies:
    """Copies of `load()`'s answers by key. `keep(answer)`: whether an answer found no
    generation yet earns one (unknown identifiers must not fill Redis)."""

    def __init__(self, name: str, *, max_entries: int = 10_000, ttl: int | None = None, keep=None):
        self.name, self._max, self._ttl = name, max_entries, ttl
        self._keep = keep or (lambda answer: True)
        self._copies: dict = {}
        self._lock = threading.Lock()

    def generation(self, part) -> str:
        """The name of one generation of this kind ("gen:" marks shared truth for core.cache)."""
        return f"gen:{self.name}:{part}"

    def read(self, key, generations: list[str], load):
        if not shared_cache.trusted():  # no other process could tell this one of a change, or
            return load()  # this one owes Redis its own
        epoch, values = _values(generations)
        known = self._copies.get(key)
        if None in values and known is not None and _still(generations, known[0], epoch):
            return known[1]  # made here a moment ago: Redis has not yet told the tracker of it
        if None in values:  # a generation never made, evicted or unreadable
            answer = load()
            if self._keep(answer):
                pairs = zip(generations, values, strict=True)
                values = tuple(value or _make(generation, self._ttl) for generation, value in pairs)
                if None not in values:  # made after the load: a write since then changes it again
                    self._put(key, (*epoch, *values), answer)
            return answer
        stamp = (*epoch, *values)
        if known is not None and known[0] == stamp:
            return known[1]
        answer = load()
        self._put(key, stamp, answer)
        return answer

    def _put(self, key, stamp: tuple, answer) -> None:
        with self._lock:
            if len(self._copies) >= self._max:
                self._copies.clear()
            self._copies[key] = (stamp, answer)

    def replace(self, key, old, new) -> None:
        """This process changed what it read (e.g. a last-use mark): keep its copy current."""
        known = self._copies.get(key)
        if known is not None and known[1] is old:
            self._copies[key] = (known[0], new)

    def holds(self, key) -> bool:
        return key in self._copies

    def clear(self) -> None:
        self._copies.clear()

    def change(self, generations: list[str]) -> None:
        """Make every copy stamped with these generations stale, in every process."""
        if generations:
            _change(generations, self._ttl)
            _owed(transaction.get_connection()).setdefault(self._ttl, set()).update(generations)
            transaction.on_commit(_change_owed)


def _change(generations, ttl: int | None) -> None:
    shared_cache.change(list(generations), timeout=ttl)  # owed while Redis does not answer (core.cache)


def _owed(connection) -> dict:
    """Generations to change when the connection's transaction commits, by lifetime: a batch that
    writes four tables naming the same generations changes each once at its commit, not four times."""
    return connection.__dict__.setdefault("portal_owed_generations", {})


def _change_owed() -> None:
    # Every change() registers this; the first to run after a commit changes them all. A savepoint
    # rolled back drops its own callbacks, never what another change() registered after it.
    owed = _owed(transaction.get_connection())
    while owed:
        ttl, generations = owed.popitem()
        _change(generations, ttl)


@functools.lru_cache(maxsize=4096)
def _cache_key(generation: str) -> str:
    return cache.make_key(generation)


def _values(generations: list[str]) -> tuple[tuple, tuple]:
    """(epoch, values): the generations' values as bytes, None for one missing or unreadable."""
    tracker = tracking.tracked_values(settings.PORTAL_TRACKING_URL)
    if tracker is not None:
        try:
            epoch, values = tracker.get_many([_cache_key(generation) for generation in generations])
        except tracking.Unavailable as exc:
            log.warning("%s; reading generations from the cache instead", exc)
        else:
            # Stamped with the connection too: after a reconnection (a restarted Redis may have
            # lost the latest changes and hold an old value again) no copy made before is used.
            return (epoch,), values
    found = cache.get_many(generations)
    return (), tuple(_as_read(found[g]) if g in found else None for g in generations)


def _still(generations: list[str], stamp: tuple, epoch: tuple) -> bool:
    """Whether Redis holds the generations a copy is stamped with, asked directly: the tracker
    hears of a generation this process made only after Redis has answered the making."""
    if not epoch or stamp[:1] != epoch:  # untracked, a None was Redis's own answer
        return False
    tracker = tracking.tracked_values(settings.PORTAL_TRACKING_URL)
    try:
        return tracker.read_now([_cache_key(generation) for generation in generations]) == stamp[1:]
    except tracking.Unavailable:
        return False


def _make(generation: str, ttl: int | None) -> bytes | None:
    """A first value for a missing generation, as a read would give it; None if another process
    made one first (its value is unknown here) or Redis does not answer."""
    value = shared_cache.new_value()
    return _as_read(value) if cache.add(generation, value, timeout=ttl) else None


def _as_read(value) -> bytes:
    return str(value).encode()  # an int in Redis reads back as its digits
