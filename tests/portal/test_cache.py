"""Counters in one round trip: the same answers on Redis (pipelined) and on the embedded default."""

import time

import pytest
from django.core.cache import caches

from portal.cache import RedisCache, incr_counters


@pytest.fixture(params=["default", "local"])
def alias(request, settings):
    settings.CACHES = {
        **settings.CACHES,
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "counters"},
    }
    caches[request.param].clear()
    return request.param


def test_the_tests_count_on_redis():
    assert isinstance(caches["default"], RedisCache)  # so the "default" case is the pipelined one


def test_counters_start_at_one_and_count_each_call(alias):
    assert incr_counters([("a", 10), ("b", 10)], using=alias) == [1, 1]
    assert incr_counters([("a", 10), ("b", 10)], using=alias) == [2, 2]
    assert incr_counters([("b", 10)], using=alias) == [3]
    assert incr_counters([], using=alias) == []


def test_a_counter_starts_again_after_its_timeout(alias):
    assert incr_counters([("window", 1)], using=alias) == [1]
    assert incr_counters([("window", 1)], using=alias) == [2]
    time.sleep(1.1)
    assert incr_counters([("window", 1)], using=alias) == [1]


def test_a_counter_left_without_a_lifetime_gets_one_from_the_next_call():
    """As if the process that created it died between INCR and EXPIRE."""
    import redis

    client = redis.Redis.from_url(caches["default"]._servers[0])
    key = caches["default"].make_key("orphan")
    client.set(key, 5)
    assert client.ttl(key) == -1
    assert incr_counters([("orphan", 10)]) == [6]
    assert 0 < client.ttl(key) <= 10
