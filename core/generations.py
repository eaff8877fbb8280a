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
        stamp = _stamp(generations)
        if stamp is None:  # a generation never made, evicted or unreadable: nothing can be kept
            answer = load()
            if self._keep(answer):
                for generation in generations:
                    cache.add(generation, shared_cache.new_value(), timeout=self._ttl)
            return answer
        known = self._copies.get(key)
        if known is not None and known[0] == stamp:
            return known[1]
        answer = load()
        with self._lock:
            if len(self._copies) >= self._max:
                self._copies.clear()
            self._copies[key] = (stamp, answer)
        return answer

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
            transaction.on_commit(lambda: _change(generations, self._ttl))


def _change(generations: list[str], ttl: int | None) -> None:
    shared_cache.change(generations, timeout=ttl)  # owed while Redis does not answer (core.cache)


@functools.lru_cache(maxsize=4096)
def _cache_key(generation: str) -> str:
    return cache.make_key(generation)


def _stamp(generations: list[str]) -> tuple | None:
    tracker = tracking.tracked_values(settings.PORTAL_TRACKING_URL)
    if tracker is not None:
        try:
            epoch = tracker.epoch
            values = tracker.get_many([_cache_key(generation) for generation in generations])
        except tracking.Unavailable as exc:
            log.warning("%s; reading generations from the cache instead", exc)
        else:
            # Stamped with the connection too: after a reconnection (a restarted Redis may have
            # lost the latest changes and hold an old value again) no copy made before is used.
            return None if None in values or tracker.epoch != epoch else (tracker.epoch, *values)
    found = cache.get_many(generations)
    values = tuple(found.get(generation) for generation in generations)
    return None if None in values else tuple(str(value).encode() for value in values)
