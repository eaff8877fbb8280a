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

Redis's own client library offers this only for Redis 7.4 and later; the few RESP3 messages
needed here (HELLO, SELECT, CLIENT TRACKING, GET and the replies) are read by the small parser below.
"""

import os
import select
import socket
import threading
import time
from urllib.parse import unquote, urlsplit

MAX_KEYS = 100_000  # copies kept per process; past that they are all dropped and read again
CLIENT_NAME = b"portal-tracking"  # as CLIENT LIST shows these connections
RETRY_AFTER = 5.0  # seconds without trying to reconnect after a failure (callers ask Redis meanwhile)


class Unavailable(Exception):
    """No tracked read now (not configured, or the connection failed): ask Redis directly."""


class _Push(list):
    """An out-of-band RESP3 message (`>`), as opposed to a command's reply."""


class _ErrorReply(Exception):
    pass


class TrackedValues:
    """`get(key)` answers from process memory what a plain Redis GET would answer."""

    def __init__(self, url: str, *, timeout: float = 2.0, retry_after: float = RETRY_AFTER):
        parts = urlsplit(url)
        if parts.scheme != "redis" or not parts.hostname:
            raise ValueError(f"tracking needs a redis://host[:port][/db] URL, not {parts.scheme}://")
        self._address = (parts.hostname, parts.port or 6379)
        self._db = int(parts.path.strip("/") or 0)
        user, password = unquote(parts.username or "default"), unquote(parts.password or "")
        self._auth = (user, password) if password else None
        self._timeout = timeout
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._poll: select.poll | None = None
        self._pid = None
        self._buffer = bytearray()
        self._values: dict[bytes, bytes | None] = {}
        self._retry_after, self._retry_at = retry_after, 0.0

    def get(self, key: str) -> bytes | None:
        raw_key = key.encode()
        with self._lock:
            if self._sock is None and time.monotonic() < self._retry_at:
                raise Unavailable("the Redis tracking connection failed moments ago")
            try:
                return self._get(raw_key)
            except (OSError, EOFError, ValueError, _ErrorReply):
                self._close()  # a dropped connection may have lost invalidations: forget them all
            try:
                return self._get(raw_key)  # once more, on a fresh connection
            except (OSError, EOFError, ValueError, _ErrorReply) as exc:
                self._close()
                self._retry_at = time.monotonic() + self._retry_after
                raise Unavailable(f"Redis tracking connection failed: {exc!r}") from exc

    def _get(self, raw_key: bytes) -> bytes | None:
        self._connect_once()
        self._apply_invalidations()
        try:
            return self._values[raw_key]
        except KeyError:
            pass
        value = self._command(b"GET", raw_key)
        if len(self._values) >= MAX_KEYS:
            self._values.clear()
        self._values[raw_key] = value
        return value

    def close(self) -> None:
        with self._lock:
            self._close()

    # The connection

    def _connect_once(self) -> None:
        if self._sock is not None and self._pid == os.getpid():
            return
        self._close()  # also in a forked child: the parent's socket and copies are not ours
        sock = socket.create_connection(self._address, timeout=self._timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock, self._pid = sock, os.getpid()
        hello = [b"HELLO", b"3", b"SETNAME", CLIENT_NAME]
        if self._auth:
            hello += [b"AUTH", self._auth[0].encode(), self._auth[1].encode()]
        self._command(*hello)
        if self._db:
            self._command(b"SELECT", str(self._db).encode())
        self._command(b"CLIENT", b"TRACKING", b"ON")
        self._poll = select.poll()
        self._poll.register(sock, select.POLLIN)

    def _close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = self._poll = None
        self._buffer.clear()
        self._values.clear()

    def _apply_invalidations(self) -> None:
        """Read every message already waiting, without blocking: they can only be pushes."""
        while self._buffer or self._poll.poll(0):
            message = self._read_message()
            if not isinstance(message, _Push):
                raise ValueError(f"unexpected reply with no command pending: {message!r}")
            self._on_push(message)

    def _on_push(self, push: _Push) -> None:
        if len(push) >= 2 and push[0] == b"invalidate":
            if push[1] is None:  # FLUSHDB, FLUSHALL, or Redis dropped its tracking table
                self._values.clear()
            else:
                for key in push[1]:
                    self._values.pop(key, None)

    def _command(self, *args: bytes):
        self._sock.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
        while True:
            message = self._read_message()
            if isinstance(message, _Push):
                self._on_push(message)  # an invalidation can arrive before the reply
                continue
            if isinstance(message, _ErrorReply):
                raise message
            return message

    # RESP3

    def _read_message(self):
        line = self._read_line()
        kind, rest = line[:1], line[1:]
        if kind == b"|":  # attributes precede the message they describe: skip them
            for _ in range(2 * int(rest)):
                self._read_message()
            return self._read_message()
        if kind in (b"+", b"("):
            return bytes(rest)
        if kind == b"-":
            return _ErrorReply(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b",":
            return float(rest)
        if kind == b"#":
            return rest == b"t"
        if kind == b"_":
            return None
        if kind in (b"$", b"=", b"!"):
            length = int(rest)
            if length < 0:
                return None
            data = self._read_exact(length + 2)[:-2]
            return _ErrorReply(data.decode(errors="replace")) if kind == b"!" else data
        if kind in (b"*", b"~", b">"):
            count = int(rest)
            if count < 0:
                return None
            items = [self._read_message() for _ in range(count)]
            return _Push(items) if kind == b">" else items
        if kind == b"%":
            return {self._read_message(): self._read_message() for _ in range(int(rest))}
        raise ValueError(f"unknown RESP3 type {kind!r}")

    def _read_line(self) -> bytes:
        while True:
            end = self._buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 2]
                return line
            self._fill()

    def _read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise EOFError("Redis closed the connection")
        self._buffer += chunk


_tracked: dict[str, TrackedValues] = {}


def tracked_values(url: str | None) -> TrackedValues | None:
    """The process's tracker for this Redis URL, or None when there is no Redis to track."""
    if not url:
        return None
    tracker = _tracked.get(url)
    if tracker is None:
        tracker = _tracked.setdefault(url, TrackedValues(url))
    return tracker
