"""Process-local copies of a few Redis keys, kept exact by Redis itself (server-assisted caching).

With `CLIENT TRACKING ON REDIRECT <id>`, Redis remembers the keys a connection read and publishes
every later change to one (write, delete, expiry, eviction, flush) on `__redis__:invalidate` to
the listening connection `<id>`. A process reads a key once, keeps it, and before each use applies
the invalidations waiting in the listener's socket: a poll, not a round trip. Redis writes them
out before answering the changing client's next command, so on one host the next request anywhere
sees a change. Any error forgets every copy. All on redis-py (RESP2 pub/sub; Redis 6+)."""

import os
import select
import threading
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

MAX_KEYS = 100_000  # copies kept per process; past that they are all dropped and read again
CLIENT_NAME = "portal-tracking"  # as CLIENT LIST shows both connections
CHANNEL = b"__redis__:invalidate"
RETRY_AFTER = 5.0  # seconds without trying to reconnect after a failure (callers ask Redis meanwhile)
FAILURES = (redis.RedisError, OSError, ValueError)


class Unavailable(Exception):
    """No tracked read now (not configured, or the connection failed): ask Redis directly."""


class TrackedValues:
    """`get(key)` answers from process memory what a plain Redis GET would answer."""

    def __init__(self, url: str, *, timeout: float = 2.0, retry_after: float = RETRY_AFTER, ready=None):
        """`ready()`, called on every (re)connection before anything is read, returns whether the
        values in Redis may be trusted now (`core.cache.settle`: owed changes are made)."""
        self._pool = redis.ConnectionPool.from_url(
            url,
            client_name=CLIENT_NAME,
            protocol=2,  # invalidations as pub/sub messages on the listener (RESP3 would push them)
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # a silent reconnect would read without tracking
        )
        self._ready = ready
        self._lock = threading.Lock()
        self._values: dict[str, bytes | None] = {}
        self._reader = self._listener = None  # the reading connection; the one told of changes
        self._poll = None  # polls both
        self._pid = None
        self.epoch = 0  # counts (re)connections: a value read before one may be stale
        self._retry_after, self._retry_at = retry_after, 0.0

    def get(self, key: str) -> bytes | None:
        return self.get_many((key,))[1][0]

    def get_many(self, keys) -> tuple[int, tuple]:
        """The values of `keys` (None for a missing one), as one MGET would answer now, and the
        epoch of the connection they were read on (`epoch`)."""
        with self._lock:
            if not self._is_open() and time.monotonic() < self._retry_at:
                raise Unavailable("the Redis tracking connection failed moments ago")
            try:
                values = self._get_many(keys)
                return self.epoch, values
            except FAILURES:
                self._forget()  # a dropped connection may have lost invalidations: forget them all
            try:
                values = self._get_many(keys)  # once more, on fresh connections
                return self.epoch, values
            except FAILURES as exc:
                self._forget()
                self._retry_at = time.monotonic() + self._retry_after
                raise Unavailable(f"Redis tracking connection failed: {exc!r}") from exc

    def read_now(self, keys) -> tuple:
        """The values Redis holds now (one MGET), whatever this process keeps: for a key it has
        just written, whose invalidation may still be on its way. Raw bytes, as `get_many`."""
        with self._lock:
            if not self._is_open():
                raise Unavailable("no tracking connection")
            try:
                self._reader.send_command("MGET", *keys)
                return tuple(self._reader.read_response())
            except FAILURES as exc:
                self._forget()
                raise Unavailable(f"Redis tracking connection failed: {exc!r}") from exc

    def close(self) -> None:
        with self._lock:
            self._forget()

    def _is_open(self) -> bool:
        return self._reader is not None and self._pid == os.getpid()  # not a parent's, after a fork

    def _get_many(self, keys) -> tuple:
        if not self._is_open():
            self._open()
        # One poll of both sockets (their read buffers are empty between calls) tells whether
        # anything waits: redis-py's can_read costs a few system calls per connection.
        if self._poll.poll(0):
            # With no command outstanding the reader has nothing to say unless Redis closed it (an
            # idle timeout, CLIENT KILL): then its keys are no longer tracked; every copy must go.
            if self._reader.can_read(timeout=0):
                raise ConnectionError("Redis sent the reading connection something unasked")
            while self._listener.can_read(timeout=0):
                self._on_message(self._listener.read_response())
        values = self._values
        missing = [key for key in keys if key not in values]
        if not missing:
            return tuple(values[key] for key in keys)
        self._reader.send_command("MGET", *missing)
        answer = {key: values[key] for key in keys if key in values}
        answer.update(zip(missing, self._reader.read_response(), strict=True))
        if len(values) + len(missing) > MAX_KEYS:
            values.clear()
        values.update(answer)
        return tuple(answer[key] for key in keys)

    def _open(self) -> None:
        self._forget()  # also in a forked child: the parent's copies were tracked for the parent
        self.epoch += 1
        self._pid = os.getpid()
        self._listener = self._pool.make_connection()
        self._listener.send_command("CLIENT", "ID")
        listener_id = self._listener.read_response()
        self._listener.send_command("SUBSCRIBE", CHANNEL)
        self._listener.read_response()
        self._reader = self._pool.make_connection()
        if self._ready is not None and not self._ready():
            raise ConnectionError("changes owed to Redis could not be made yet")
        self._reader.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", listener_id)
        self._reader.read_response()
        self._poll = select.poll()
        for connection in (self._reader, self._listener):
            self._poll.register(connection._sock, select.POLLIN | select.POLLPRI)  # (redis-py's socket)

    def _forget(self) -> None:
        for connection in (self._reader, self._listener):
            if connection is not None:
                connection.disconnect()  # redis-py leaves a parent's socket alone in a child
        self._reader = self._listener = self._poll = None
        self._values.clear()

    def _on_message(self, message) -> None:
        kind, channel, keys = message
        if kind != b"message" or channel != CHANNEL:
            raise ValueError(f"unexpected message on the tracking connection: {message!r}")
        if keys is None:  # FLUSHDB, FLUSHALL, or Redis dropped its tracking table
            self._values.clear()
        else:
            for key in keys:
                self._values.pop(key.decode(), None)


_tracked: dict[str, TrackedValues] = {}


def tracked_values(url: str | None) -> TrackedValues | None:
    """The process's tracker for this Redis URL, or None when there is no Redis to track."""
    if not url:
        return None
    tracker = _tracked.get(url)
    if tracker is None:
        from core import cache  # imports Django's cache machinery: not at module load

        tracker = _tracked.setdefault(url, TrackedValues(url, ready=lambda: cache.settle(force=True)))
    return tracker
