"""Django's Redis cache backend, minus one avoidable cost, plus counters in one round trip.

Django's client builds a new `redis.Redis` object for every cache call; its constructor fills a
table of ~170 response callbacks each time, which measured about 0.3 ms per call, more than the
round trip to Redis itself. A `redis.Redis` is thread-safe over its connection pool, so one per
pool is enough. Behaviour (keys, serialisation, pools) is Django's own.
"""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


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

    def incr_counters(self, counters: list[tuple[str, int]]) -> list[int]:
        """Add one to each (key, timeout seconds) counter, creating it with its timeout when it is
        new; the new values, in one pipelined round trip."""
        pipe = self._cache.get_client(write=True).pipeline(transaction=False)
        for key, timeout in counters:
            key = self.make_and_validate_key(key)
            pipe.set(key, 0, ex=timeout, nx=True)
            pipe.incr(key)
        return pipe.execute()[1::2]


def incr_counters(counters: list[tuple[str, int]], *, using: str = "default") -> list[int]:
    """`RedisCache.incr_counters` on any cache backend: one round trip on Redis, a call per
    counter elsewhere (the embedded default's local memory)."""
    backend = caches[using]
    if isinstance(backend, RedisCache):
        return backend.incr_counters(counters)
    values = []
    for key, timeout in counters:
        backend.add(key, 0, timeout=timeout)
        try:
            values.append(backend.incr(key))
        except ValueError:  # expired between add and incr: a new window
            backend.add(key, 1, timeout=timeout)
            values.append(1)
    return values
