"""Process-local copies of a few Redis keys, kept exact by Redis itself (server-assisted caching).

Every Bearer request must learn whether its user's auth state changed. Asking Redis each time is
a round trip, and on a loaded machine that round trip, with the context switches around it, was
most of the authenticated path's cost. Redis (6 and later) can instead *tell* a client when a key
it has read changes: on a RESP3 connection with ``CLIENT TRACKING ON``, Redis remembers the keys the
connection read and, on any later change to one of them (write, delete, expiry, eviction, FLUSHDB),
sends an ``invalidate`` push on that same connection. So a process reads a key once, keeps the
value, and before every use applies whatever invalidations wait in its socket: one non-blocking
poll instead of a round trip.

How fresh: Redis queues the invalidation in the same event-loop pass in which it executes the
change, and writes it out before it reads the next command. A process that changed a key and then
wrote again (as `apikeys.authstate.invalidate` does, once more after the commit) has its second
answer only after every other process's socket has the invalidation, so on one host the very next
request anywhere sees the change. Across hosts the invalidation travels the network like any
answer and can trail it by the delivery time. Any error on the connection forgets every copy (a
lost connection may have lost invalidations) and the caller falls back to asking Redis.

Redis's own client library offers this only for Redis 7.4 and later; the connection is our small
RESP3 reader (`core.resp`).
"""

import threading
import time

from core import resp

MAX_KEYS = 100_000  # copies kept per process; past that they are all dropped and read again
CLIENT_NAME = b"portal-tracking"  # as CLIENT LIST shows these connections
RETRY_AFTER = 5.0  # seconds without trying to reconnect after a failure (callers ask Redis meanwhile)


class Unavailable(Exception):
    """No tracked read now (not configured, or the connection failed): ask Redis directly."""


class TrackedValues:
    """`get(key)` answers from process memory what a plain Redis GET would answer."""

    def __init__(self, url: str, *, timeout: float = 2.0, retry_after: float = RETRY_AFTER, ready=None):
        """`ready()`, called on every (re)connection before anything is read, returns whether the
        values in Redis may be trusted now (`core.cache.settle`: owed changes are made)."""
        self._connection = resp.Connection(url, name=CLIENT_NAME, timeout=timeout)
        self._ready = ready
        self._lock = threading.Lock()
        self._values: dict[bytes, bytes | None] = {}
        self._retry_after, self._retry_at = retry_after, 0.0

    def get(self, key: str) -> bytes | None:
        raw_key = key.encode()
        with self._lock:
            if not self._connection.is_open and time.monotonic() < self._retry_at:
                raise Unavailable("the Redis tracking connection failed moments ago")
            try:
                return self._get(raw_key)
            except resp.FAILURES:
                self._forget()  # a dropped connection may have lost invalidations: forget them all
            try:
                return self._get(raw_key)  # once more, on a fresh connection
            except resp.FAILURES as exc:
                self._forget()
                self._retry_at = time.monotonic() + self._retry_after
                raise Unavailable(f"Redis tracking connection failed: {exc!r}") from exc

    def close(self) -> None:
        with self._lock:
            self._forget()

    def _get(self, raw_key: bytes) -> bytes | None:
        connection = self._connection
        if not connection.is_open:
            self._forget()  # also in a forked child: the parent's copies were tracked for the parent
            connection.open()
            if self._ready is not None and not self._ready():
                connection.close()
                raise ConnectionError("changes owed to Redis could not be made yet")
            connection.call(b"CLIENT", b"TRACKING", b"ON")
        while connection.pending():  # with no command outstanding, only pushes can be waiting
            message = connection.read()
            if not isinstance(message, resp.Push):
                raise ValueError(f"unexpected reply with no command pending: {message!r}")
            self._on_push(message)
        try:
            return self._values[raw_key]
        except KeyError:
            pass
        value = connection.call(b"GET", raw_key, on_push=self._on_push)  # a push may precede the reply
        if len(self._values) >= MAX_KEYS:
            self._values.clear()
        self._values[raw_key] = value
        return value

    def _forget(self) -> None:
        self._connection.close()
        self._values.clear()

    def _on_push(self, push: resp.Push) -> None:
        if len(push) >= 2 and push[0] == b"invalidate":
            if push[1] is None:  # FLUSHDB, FLUSHALL, or Redis dropped its tracking table
                self._values.clear()
            else:
                for key in push[1]:
                    self._values.pop(key, None)


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
