"""A minimal RESP3 connection to Redis, for the two hot paths that need what redis-py cannot give.

`core.tracking` needs RESP3 push messages on the connection it reads from (redis-py offers
client-side caching only with Redis 7.4+), and the token throttle sends its counters and reads the
answers later, where redis-py's command packing and reply layers cost more than the round trip.
Both speak a handful of commands; this reads every RESP3 type and nothing more.
"""

import os
import select
import socket
from urllib.parse import unquote, urlsplit


class ErrorReply(Exception):
    """Redis answered a command with an error."""


class Push(list):
    """An out-of-band RESP3 message (`>`), as opposed to a command's reply."""


class Connection:
    """One socket to Redis, opened with HELLO 3 (and AUTH, SELECT, a client name) on first use.

    Not thread-safe: callers hold a lock or a connection each. Errors propagate (OSError,
    EOFError, ValueError, ErrorReply); after one, `close()` the connection and open another.
    """

    def __init__(self, url: str, *, name: bytes, timeout: float = 2.0):
        parts = urlsplit(url)
        if parts.scheme != "redis" or not parts.hostname:
            raise ValueError(f"needs a redis://host[:port][/db] URL, not {parts.scheme}://")
        self._address = (parts.hostname, parts.port or 6379)
        self._db = int(parts.path.strip("/") or 0)
        user, password = unquote(parts.username or "default"), unquote(parts.password or "")
        self._auth = (user.encode(), password.encode()) if password else None
        self._name, self._timeout = name, timeout
        self._sock: socket.socket | None = None
        self._poll: select.poll | None = None
        self._pid = None
        self._buffer = bytearray()

    @property
    def is_open(self) -> bool:
        """Connected, and in this process (a forked child must not share its parent's socket)."""
        return self._sock is not None and self._pid == os.getpid()

    def open(self) -> None:
        self.close()
        sock = socket.create_connection(self._address, timeout=self._timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock, self._pid = sock, os.getpid()
        hello = [b"HELLO", b"3", b"SETNAME", self._name]
        if self._auth:
            hello += [b"AUTH", *self._auth]
        self.call(*hello)
        if self._db:
            self.call(b"SELECT", str(self._db).encode())
        self._poll = select.poll()
        self._poll.register(sock, select.POLLIN)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = self._poll = None
        self._buffer.clear()

    def send(self, *commands: tuple[bytes, ...]) -> None:
        """Write commands without waiting; read their replies, in order, with `reply()`."""
        self._sock.sendall(b"".join(_pack(command) for command in commands))

    def reply(self, on_push=None):
        """The next reply; push messages met on the way go to `on_push` (dropped without one)."""
        while True:
            message = self.read()
            if isinstance(message, Push):
                if on_push is not None:
                    on_push(message)
                continue
            if isinstance(message, ErrorReply):
                raise message
            return message

    def call(self, *command: bytes, on_push=None):
        self.send(command)
        return self.reply(on_push)

    def pending(self) -> bool:
        """Whether a message is already waiting (without blocking)."""
        return bool(self._buffer) or bool(self._poll.poll(0))

    def read(self):
        """The next message, whatever it is."""
        line = self._read_line()
        kind, rest = line[:1], line[1:]
        if kind == b"|":  # attributes precede the message they describe: skip them
            for _ in range(2 * int(rest)):
                self.read()
            return self.read()
        if kind in (b"+", b"("):
            return bytes(rest)
        if kind == b"-":
            return ErrorReply(rest.decode(errors="replace"))
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
            return ErrorReply(data.decode(errors="replace")) if kind == b"!" else data
        if kind in (b"*", b"~", b">"):
            count = int(rest)
            if count < 0:
                return None
            items = [self.read() for _ in range(count)]
            return Push(items) if kind == b">" else items
        if kind == b"%":
            return {self.read(): self.read() for _ in range(int(rest))}
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


FAILURES = (OSError, EOFError, ValueError, ErrorReply)


def _pack(command: tuple[bytes, ...]) -> bytes:
    return b"*%d\r\n" % len(command) + b"".join(b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in command)
