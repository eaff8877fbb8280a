"""Django's Redis cache backend, with one client per pool, counters in one round trip, and a Portal
that keeps working while Redis does not answer.

When Redis fails, this process stops asking it for RETRY_AFTER seconds; meanwhile shared truth
(SHARED_PREFIXES: generations) misses, so readers go to the database; everything else (rate-limit
counters, locks) lives in this process's memory; and a `change()` (an invalidation) is recorded
as an `OwedCacheChange` beside the write that needs it, made once Redis answers (before this
process reads from it again, when a tracking connection reconnects, or by beat's settle task)."""

import logging
import os
import secrets
import threading
import time

import redis
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import DatabaseError, transaction

from core import metrics

log = logging.getLogger(__name__)
SHARED_PREFIXES = ("gen:",)  # core.generations
RETRY_AFTER = 1.0  # seconds without asking Redis after it failed
SETTLE_BATCH = 1000
_FAILURES = (redis.RedisError, OSError)  # not ValueError: Django's incr of a missing key raises it


def _shared(key: str) -> bool:
    return key.startswith(SHARED_PREFIXES)


def new_value() -> int:
    return secrets.randbits(62)  # random, not a counter: a restarted counter could repeat a value


class _Client(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client
        # While Redis fails: this process's own store for what need not be shared (module docstring).
        self._local = LocMemCache("portal-outage", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
        self._settled = False  # owed changes made since this process last saw Redis fail
        self._retry_at = 0.0
        self._state_lock = threading.Lock()
        self._counters = threading.local()  # _counter_connection

    # Reads and writes: Redis when it answers, else the fallback the module docstring describes.

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either(
            lambda: super(RedisCache, self).add(key, value, timeout, version),
            lambda: not _shared(key) and self._local.add(key, value, timeout, version),
        )

    def get(self, key, default=None, version=None):
        return self._either(
            lambda: super(RedisCache, self).get(key, default, version),
            lambda: default if _shared(key) else self._local.get(key, default, version),
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._either(
            lambda: super(RedisCache, self).set(key, value, timeout, version),
            lambda: None if _shared(key) else self._local.set(key, value, timeout, version),
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either(
            lambda: super(RedisCache, self).touch(key, timeout, version),
            lambda: not _shared(key) and self._local.touch(key, timeout, version),
        )

    def delete(self, key, version=None):
        return self._either(
            lambda: super(RedisCache, self).delete(key, version),
            lambda: not _shared(key) and self._local.delete(key, version),
        )

    def get_many(self, keys, version=None):
        keys = list(keys)
        return self._either(
            lambda: super(RedisCache, self).get_many(keys, version),
            lambda: self._local.get_many([key for key in keys if not _shared(key)], version),
        )

    def has_key(self, key, version=None):
        return self._either(
            lambda: super(RedisCache, self).has_key(key, version),
            lambda: not _shared(key) and self._local.has_key(key, version),
        )

    def incr(self, key, delta=1, version=None):
        def local():
            if _shared(key):
                raise ValueError(f"Key '{key}' not found")  # as for a missing key
            return self._local.incr(key, delta, version)

        return self._either(lambda: super(RedisCache, self).incr(key, delta, version), local)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        local = {key: value for key, value in data.items() if not _shared(key)}
        return self._either(
            lambda: super(RedisCache, self).set_many(data, timeout, version),
            lambda: self._local.set_many(local, timeout, version),
        )

    def delete_many(self, keys, version=None):
        keys = list(keys)
        self._either(
            lambda: super(RedisCache, self).delete_many(keys, version),
            lambda: self._local.delete_many([key for key in keys if not _shared(key)], version),
        )

    def clear(self):
        self._local.clear()
        return super().clear()

    def change(self, keys: list[str], timeout: int | None) -> None:
        """Give each key a new random value, so every copy stamped with its old one is stale. If
        Redis cannot take it now, the change is owed: recorded in the database (in the caller's
        transaction, beside what made the keys stale) and made once Redis answers."""
        if self._usable():
            try:
                super().set_many({key: new_value() for key in keys}, timeout)
                return
            except _FAILURES as exc:
                self._failed(exc)
        from core.models import OwedCacheChange  # the models are imported once Django is set up

        OwedCacheChange.objects.bulk_create([OwedCacheChange(key=key, timeout=timeout) for key in keys])

    def settle(self, *, force: bool = False) -> bool:
        """Make the changes owed, if this process has not since it last saw Redis fail (or at all
        when `force`): True when Redis can be trusted again."""
        if self._settled and not force:
            return True
        with self._state_lock:
            if force or not self._settled:
                try:
                    self._make_owed_changes()
                except (*_FAILURES, DatabaseError) as exc:
                    self._failed(exc, "the cache changes owed could not be made")
                    return False
                self._settled = True
                metrics.CACHE_OUTAGE.set(0)
        return True

    def _make_owed_changes(self) -> None:
        from core.models import OwedCacheChange

        while True:
            with transaction.atomic():  # a savepoint when called inside a request's transaction
                owed = list(
                    OwedCacheChange.objects.select_for_update(skip_locked=True)
                    .order_by("pk")
                    .values_list("pk", "key", "timeout")[:SETTLE_BATCH]
                )
                for timeout in {timeout for _, _, timeout in owed}:
                    keys = [key for _, key, owed_timeout in owed if owed_timeout == timeout]
                    super().set_many({key: new_value() for key in keys}, timeout)
                OwedCacheChange.objects.filter(pk__in=[pk for pk, _, _ in owed]).delete()
            if owed:
                log.info("made %d cache changes owed since Redis failed", len(owed))
            if len(owed) < SETTLE_BATCH:
                return

    def _either(self, remote, local):
        if self._usable():
            try:
                return remote()
            except _FAILURES as exc:
                self._failed(exc)
        return local()

    def _usable(self) -> bool:
        if self._settled:
            return True
        if time.monotonic() < self._retry_at:
            return False
        return self.settle()

    def _failed(self, exc: Exception, what: str = "Redis failed") -> None:
        if self._settled or time.monotonic() >= self._retry_at:
            log.warning("%s (%r): shared state from the database for %.0f s", what, exc, RETRY_AFTER)
        self._settled = False
        self._retry_at = time.monotonic() + RETRY_AFTER
        metrics.CACHE_OUTAGE.set(1)

    def start_counters(self, counters: list[tuple]) -> "Counting":
        if self._usable():
            try:
                return self._start_counters(counters)
            except _FAILURES as exc:
                self._failed(exc)
        return _count_in(self._local, counters)

    def _start_counters(self, counters: list[tuple]) -> "Counting":
        if not counters:
            return Counting([])
        keys, args = [], []
        for key, timeout, *by in counters:
            keys.append(self.make_key(key))  # our own keys: no memcached checks
            args += [by[0] if by else 1, timeout]
        return _Sent(self, self._counter_connection(), ("EVAL", _COUNT, len(keys), *keys, *args), counters)

    def _counter_connection(self) -> "_CounterConnection":
        """Each thread's own connection for counters: the pool's checkout and return cost as
        much as the round trip's own work."""
        mine = getattr(self._counters, "connection", None)
        if mine is None or mine.pid != os.getpid():  # a forked child makes its own
            pool = self._cache.get_client(write=True).connection_pool
            mine = self._counters.connection = _CounterConnection(pool.make_connection())
        return mine


# One command per request's counters. INCRBY, then EXPIRE NX (Redis 7+): a new window's counter
# gets its lifetime, and a counter whose creator died in between gets it from the next call. A
# step of 0 only reads. Redis keeps the compiled script: EVAL costs it no more than EVALSHA.
_COUNT = """
local counts = {}
for i, key in ipairs(KEYS) do
  local by = tonumber(ARGV[2 * i - 1])
  if by == 0 then
    counts[i] = tonumber(redis.call('GET', key) or 0)
  else
    counts[i] = redis.call('INCRBY', key, by)
    redis.call('EXPIRE', key, ARGV[2 * i], 'NX')
  end
end
return counts
"""


class Counting:
    """Counters sent to the cache; `values()` gives their new values."""

    def __init__(self, values: list[int]):
        self._values = values

    def values(self) -> list[int]:
        return self._values


class _CounterConnection:
    """A thread's connection for counters, and the answer it still owes its last caller."""

    def __init__(self, connection):
        self.connection, self.pid, self.unread = connection, os.getpid(), None


class _Sent(Counting):
    """Counters sent to Redis; their answer is read only when asked for, so the caller does its
    own work while Redis answers (redis-py's pipeline would wait at once). If Redis fails before
    answering, the counts are made in this process instead."""

    def __init__(self, backend: RedisCache, mine: _CounterConnection, command: tuple, counters: list):
        super().__init__(None)
        self._backend, self._mine, self._counters = backend, mine, counters
        if mine.unread is not None:
            mine.unread.values()  # a caller that never asked: its answer must not become this one's
        _check(mine.connection)
        try:
            mine.connection.send_packed_command(mine.connection.pack_command(*command))
        except _FAILURES:
            mine.connection.disconnect()
            raise
        mine.unread = self

    def values(self) -> list[int]:
        if self._values is None:
            self._mine.unread = None
            try:
                self._values = self._mine.connection.read_response()
            except _FAILURES as exc:
                self._mine.connection.disconnect()  # an answer left unread must never be taken
                self._backend._failed(exc)
                self._values = _count_in(self._backend._local, self._counters).values()
        return self._values


def _check(connection) -> None:
    """A kept connection Redis closed meanwhile (CLIENT KILL, its idle `timeout`) is made again,
    as redis-py's pool checks one it lends, rather than taken for Redis failing (which would
    make this process owe its invalidations for a second)."""
    try:
        if connection._sock is not None and connection.can_read(timeout=0):
            raise redis.ConnectionError("the counter connection was closed or has data unasked")
    except _FAILURES:
        connection.disconnect()  # the next send connects again


def trusted(using: str = "default") -> bool:
    """Whether copies (core.generations) may be kept and used: the cache is one every process
    shares (Redis; the embedded default's memory is not), and this process owes it no change
    (after a failure, until the changes owed are made, a copy could miss its own writes)."""
    backend = caches[using]
    return isinstance(backend, RedisCache) and backend._usable()


def start_counters(counters: list[tuple], *, using: str = "default") -> Counting:
    """Add one to each (key, timeout seconds) counter, or (key, timeout, n) to add n (0 reads
    it), creating it with its timeout when it is new. Read the new values with `.values()`,
    always (on Redis that also frees the connection). One pipelined round trip on Redis; a call
    per counter elsewhere (the embedded default's memory)."""
    backend = caches[using]
    if isinstance(backend, RedisCache):
        return backend.start_counters(counters)
    return _count_in(backend, counters)


def _count_in(backend, counters: list[tuple]) -> Counting:
    values = []
    for key, timeout, *by in counters:
        n = by[0] if by else 1
        backend.add(key, 0, timeout=timeout)
        try:
            values.append(backend.incr(key, n))
        except ValueError:  # expired between add and incr: a new window
            backend.add(key, n, timeout=timeout)
            values.append(n)
    return Counting(values)


def incr_counters(counters: list[tuple[str, int]], *, using: str = "default") -> list[int]:
    """`start_counters(...).values()`: the counters' new values, at once."""
    return start_counters(counters, using=using).values()


def change(keys: list[str], *, timeout: int | None, using: str = "default") -> None:
    """Give each key a new random value (an invalidation: copies stamped with the old value are
    stale), owed until Redis takes it when it does not answer now (RedisCache.change)."""
    backend = caches[using]
    if isinstance(backend, RedisCache):
        backend.change(keys, timeout)
    else:
        backend.set_many({key: new_value() for key in keys}, timeout)


def settle(*, force: bool = False, using: str = "default") -> bool:
    """Make the cache changes owed since Redis last failed: True when its shared values can be
    trusted (always, off Redis)."""
    backend = caches[using]
    return backend.settle(force=force) if isinstance(backend, RedisCache) else True
