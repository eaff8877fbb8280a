"""Tracked values against a real Redis: every change another client makes is seen on the next read,
without a round trip for reads of unchanged keys."""

import os
import socket
import time

import pytest
import redis

from core.tracking import CLIENT_NAME, TrackedValues, Unavailable

URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
DB = redis.connection.parse_url(URL).get("db", 0)


@pytest.fixture
def other():
    """Another client of the same Redis database: the process that changes things."""
    client = redis.Redis.from_url(URL)
    client.delete("t:a", "t:b")
    yield client
    client.delete("t:a", "t:b")
    client.close()


@pytest.fixture
def tracked():
    values = TrackedValues(URL, retry_after=0.2)
    yield values
    values.close()


def settled(client) -> None:
    """What `apikeys.authstate.invalidate` does after a change: one more command. Redis writes a
    change's invalidations in the same event-loop pass as the change's answer, so by the answer to
    a later command they are in every tracking socket; without it a read can race the push."""
    assert client.ping()


def gets_served(client) -> int:
    stats = client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("get", "mget"))


def test_a_value_read_once_is_then_served_from_memory(tracked, other):
    other.set("t:a", b"1")
    assert tracked.get("t:a") == b"1"
    before = gets_served(other)
    for _ in range(50):
        assert tracked.get("t:a") == b"1"
    assert gets_served(other) == before  # not one GET reached Redis


def test_every_kind_of_change_is_seen_on_the_very_next_read(tracked, other):
    assert tracked.get("t:a") is None  # a missing key is tracked too
    other.set("t:a", b"1")
    settled(other)
    assert tracked.get("t:a") == b"1"
    other.set("t:a", b"2")
    settled(other)
    assert tracked.get("t:a") == b"2"
    other.incr("t:a")
    settled(other)
    assert tracked.get("t:a") == b"3"
    other.delete("t:a")
    settled(other)
    assert tracked.get("t:a") is None


def test_many_values_are_read_in_one_round_trip_and_each_change_is_seen(tracked, other):
    other.set("t:a", b"1")
    before = gets_served(other)
    assert tracked.get_many(["t:a", "t:b"]) == (1, (b"1", None))  # epoch 1: the first connection
    assert tracked.get_many(["t:b", "t:a", "t:b"]) == (1, (None, b"1", None))
    assert gets_served(other) == before + 1
    other.set("t:b", b"2")
    settled(other)
    assert tracked.get_many(["t:a", "t:b"]) == (1, (b"1", b"2"))


def test_a_burst_of_changes_is_all_seen_at_once(tracked, other):
    """Many invalidations waiting in the listener's socket (more than one read of it): each is
    applied before the next answer, not just the first."""
    keys = [f"t:burst:{n}" for n in range(2000)]
    try:
        assert tracked.get_many(keys)[1] == (None,) * len(keys)
        with other.pipeline(transaction=False) as pipe:
            for n, key in enumerate(keys):
                pipe.set(key, n)
            pipe.execute()
        settled(other)
        assert tracked.get_many(keys)[1] == tuple(str(n).encode() for n in range(len(keys)))
    finally:
        other.delete(*keys)


def test_an_expiry_is_seen(tracked, other):
    other.set("t:a", b"1", px=100)
    assert tracked.get("t:a") == b"1"
    time.sleep(0.15)
    other.exists("t:a")  # expiry is lazy or periodic in Redis; touching the key expires it now
    settled(other)
    assert tracked.get("t:a") is None


def test_a_flush_forgets_everything(tracked, other):
    other.set("t:a", b"1")
    other.set("t:b", b"2")
    assert (tracked.get("t:a"), tracked.get("t:b")) == (b"1", b"2")
    other.flushdb()
    settled(other)
    assert (tracked.get("t:a"), tracked.get("t:b")) == (None, None)


def test_a_dropped_connection_forgets_everything_and_reconnects(tracked, other):
    other.set("t:a", b"1")
    assert tracked.get("t:a") == b"1"
    _kill(other)
    other.set("t:a", b"2")  # changed while no invalidation could reach the tracked copy
    assert tracked.get("t:a") == b"2"


def _kill(client) -> None:
    killed = _trackers(client)
    assert killed, "the tracking connection names itself"
    for connection in killed:
        client.client_kill_filter(_id=connection["id"])


def test_an_unreachable_redis_raises_unavailable_and_is_not_retried_at_once():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nothing listens here once the socket is closed
    values = TrackedValues(f"redis://127.0.0.1:{port}/0", retry_after=60)
    with pytest.raises(Unavailable):
        values.get("t:a")
    started = time.monotonic()
    with pytest.raises(Unavailable, match="moments ago"):
        values.get("t:a")
    assert time.monotonic() - started < 0.05  # no second connection attempt within retry_after


def test_a_dropped_reader_alone_forgets_everything(tracked, other):
    """Redis closes an idle connection (`timeout`) or an admin kills it: the listener, a pub/sub
    connection, lives on but hears nothing more of the keys the reader read."""
    other.set("t:a", b"1")
    assert tracked.get("t:a") == b"1"
    readers = [c for c in _trackers(other) if "P" not in c["flags"]]
    assert len(readers) == 1
    other.client_kill_filter(_id=readers[0]["id"])
    other.set("t:a", b"2")
    assert tracked.get("t:a") == b"2"


def test_every_reconnection_is_counted(tracked, other):
    tracked.get("t:a")
    epoch = tracked.epoch
    _kill(other)
    tracked.get("t:a")
    assert tracked.epoch == epoch + 1


def test_a_dropped_listener_alone_forgets_everything(tracked, other):
    """Redis keeps tracking the reading connection but has nowhere to send its invalidations."""
    other.set("t:a", b"1")
    assert tracked.get("t:a") == b"1"
    listeners = [c for c in _trackers(other) if "P" in c["flags"]]
    assert len(listeners) == 1
    other.client_kill_filter(_id=listeners[0]["id"])
    other.set("t:a", b"2")
    assert tracked.get("t:a") == b"2"


def test_a_forked_child_reads_on_connections_of_its_own(tracked, other):
    other.set("t:a", b"1")
    assert tracked.get("t:a") == b"1"
    pid = os.fork()
    if pid == 0:  # the child: its answer is its exit status
        other.connection_pool.reset()
        os._exit(0 if tracked.get("t:a") == b"1" and len(_trackers(other)) == 4 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    other.set("t:a", b"2")
    settled(other)
    assert tracked.get("t:a") == b"2"  # the parent's connections still work and are still told


def _trackers(client) -> list[dict]:
    """This database's tracking connections (CLIENT LIST names every database's: the suite's other
    process has its own)."""
    return [c for c in client.client_list() if c.get("name") == CLIENT_NAME and c.get("db") == str(DB)]


def test_a_unix_socket_or_tls_url_is_accepted_as_redis_py_reads_it():
    TrackedValues("rediss://example.org:6380/0").close()
    TrackedValues("unix:///run/redis.sock?db=1").close()
