"""Copies checked against generations (core/generations.py), with Redis tracking on."""

import os

import redis
from django.conf import settings
from django.core.cache import cache

from core import tracking
from core.generations import Copies


def _loader():
    """A load that answers how many times it ran."""
    loads = []

    def load():
        loads.append(len(loads) + 1)
        return loads[-1]

    return load


def test_a_copy_is_kept_until_its_generation_changes(db):
    copies, load = Copies("test-keep"), _loader()
    generation = copies.generation("x")
    assert [copies.read("x", [generation], load) for _ in range(4)] == [1, 2, 2, 2]
    copies.change([generation])
    assert copies.read("x", [generation], load) == 3


def test_no_copy_made_before_a_reconnection_is_used_after_it(db):
    """A Redis restored from an older snapshot (or a lagging replica) may hold a generation's old
    value again, and the tracking connection missed the change's invalidation: the copy must not
    match it (security review, issue 20)."""
    copies, load = Copies("test-epoch"), _loader()
    generation = copies.generation("x")
    assert [copies.read("x", [generation], load) for _ in range(3)] == [1, 2, 2]
    old = cache.get(generation)
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    for connection in client.client_list():
        if connection.get("name") == tracking.CLIENT_NAME:
            client.client_kill_filter(_id=connection["id"])  # as a restart drops them
    cache.set(generation, old, timeout=None)  # the restored value, the one the copy is stamped with
    assert copies.read("x", [generation], load) == 3  # read while reconnecting: loaded, not kept
    assert copies.read("x", [generation], load) == 4  # the copy from before does not match
    assert tracking.tracked_values(settings.PORTAL_TRACKING_URL).epoch > 1
