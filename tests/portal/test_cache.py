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


def test_counting_survives_redis_forgetting_its_script():
    import redis

    redis.Redis.from_url(caches["default"]._servers[0]).script_flush()
    assert incr_counters([("after-flush", 10)]) == [1]
    assert incr_counters([("after-flush", 10)]) == [2]
