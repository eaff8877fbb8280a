"""Tracked values against a real Redis: every change another client makes is seen on the next read,
without a round trip for reads of unchanged keys."""

import os
import select
import socket
import threading
import time

import pytest
import redis

from core.tracking import CLIENT_NAME, TrackedValues, Unavailable

URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


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
    return int(client.info("commandstats").get("cmdstat_get", {}).get("calls", 0))


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
    killed = [c for c in client.client_list() if c.get("name") == CLIENT_NAME.decode()]
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


def test_an_invalidation_that_arrives_between_a_command_and_its_reply_is_applied(tracked, other):
    """Redis may push an invalidation after it read a GET and before it answers it."""
    assert tracked.get("t:a") is None  # connected, t:a tracked
    connection = tracked._connection
    ours, server = socket.socketpair()
    connection._sock.close()
    connection._sock = ours  # the rest of the conversation is with a fake Redis
    connection._poll = select.poll()
    connection._poll.register(ours, select.POLLIN)

    def fake_redis():
        assert server.recv(1024) == b"*2\r\n$3\r\nGET\r\n$3\r\nt:b\r\n"
        server.sendall(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nt:a\r\n" + b"$3\r\nnew\r\n")

    thread = threading.Thread(target=fake_redis)
    thread.start()
    assert tracked.get("t:b") == b"new"
    thread.join()
    assert b"t:a" not in tracked._values and tracked._values[b"t:b"] == b"new"
    server.close()


def test_only_redis_urls_are_tracked():
    with pytest.raises(ValueError, match="redis://"):
        TrackedValues("rediss://example.org:6380/0")
