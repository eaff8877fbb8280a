"""Copies checked against generations (core/generations.py), with Redis tracking on."""

import os

import redis
from django.conf import settings
from django.core.cache import cache, caches

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
    assert [copies.read("x", [generation], load) for _ in range(4)] == [1, 1, 1, 1]
    copies.change([generation])
    assert copies.read("x", [generation], load) == 2


def test_without_a_cache_every_process_shares_nothing_is_kept(db, settings):
    """The embedded default (`make run`): the web process and the Celery worker each have their own
    memory, so a file the worker makes could never make the web's copy stale."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    copies, load = Copies("test-local"), _loader()
    assert [copies.read("x", [copies.generation("x")], load) for _ in range(3)] == [1, 2, 3]


def test_while_this_process_owes_redis_its_changes_no_copy_is_used(db, monkeypatch):
    """A failure seen by this process alone (its connection reset) makes its writes owed, while
    the tracked generations still read as before: its copies could miss its own writes."""
    from core import cache as shared_cache

    copies, load = Copies("test-owed"), _loader()
    generation = copies.generation("x")
    assert [copies.read("x", [generation], load) for _ in range(2)] == [1, 1]
    backend = caches["default"]
    monkeypatch.setattr(shared_cache, "RETRY_AFTER", 60.0)
    backend._failed(ConnectionError("reset"))
    copies.change([generation])  # owed: Redis still holds the generation the copy is stamped with
    assert [copies.read("x", [generation], load) for _ in range(2)] == [2, 3]  # from the database
    monkeypatch.setattr(backend, "_retry_at", 0.0)  # Redis asked again: the owed changes are made
    assert [copies.read("x", [generation], load) for _ in range(2)] == [4, 4]


def test_a_generation_holding_what_no_process_wrote_is_only_a_reason_to_load(db):
    """One generation gone, the other overwritten by hand with something that is no number: the
    copy is not used, and nothing fails (the attacker review of issue 20 got a 500 this way)."""
    copies, load = Copies("test-garbage"), _loader()
    generations = [copies.generation("x"), copies.generation("y")]
    assert [copies.read("k", generations, load) for _ in range(2)] == [1, 1]
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete(cache.make_key(generations[0]))
    client.set(cache.make_key(generations[1]), b"garbage")
    client.ping()  # one more command: the invalidations are in the tracker's socket
    assert copies.read("k", generations, load) == 2
    client.close()


def test_a_copy_loaded_while_another_process_wrote_is_not_kept(db):
    """The generation did not exist yet, and a write changed it while this copy was loading: the
    copy may hold the rows from before the write, so it is used once and not kept."""
    copies, loads = Copies("test-race"), []
    generation = copies.generation("x")

    def load():
        loads.append(1)
        if len(loads) == 1:
            copies.change([generation])  # another process's write, between our read and our load
            cache.get(generation)  # one more command: its invalidation is in the tracker's socket
        return len(loads)

    assert [copies.read("x", [generation], load) for _ in range(3)] == [1, 2, 2]


def test_no_copy_made_before_a_reconnection_is_used_after_it(db):
    """A Redis restored from an older snapshot (or a lagging replica) may hold a generation's old
    value again, and the tracking connection missed the change's invalidation: the copy must not
    match it (security review, issue 20)."""
    copies, load = Copies("test-epoch"), _loader()
    generation = copies.generation("x")
    assert [copies.read("x", [generation], load) for _ in range(3)] == [1, 1, 1]
    old = cache.get(generation)
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    db = str(client.connection_pool.connection_kwargs.get("db", 0))
    for connection in client.client_list():  # this process's database's: the suite's other is apart
        if connection.get("name") == tracking.CLIENT_NAME and connection.get("db") == db:
            client.client_kill_filter(_id=connection["id"])  # as a restart drops them
    cache.set(generation, old, timeout=None)  # the restored value, the one the copy is stamped with
    assert copies.read("x", [generation], load) == 2  # the copy from before does not match
    assert copies.read("x", [generation], load) == 2  # one loaded on the new connection does
    assert tracking.tracked_values(settings.PORTAL_TRACKING_URL).epoch > 1
