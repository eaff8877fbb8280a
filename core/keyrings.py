"""Signing keys kept as a keyring: where they live, which one signs, which ones verify, rotation.

A keyring is JSON, ``{"keys": [{"private_key": PEM, "created_at": s, "retired_at": s | null}]}``:
the newest unretired key signs; every key that may have live signatures verifies and is
published. It comes from a setting holding the JSON, or a file another setting names (generated
once for the embedded default); processes notice a rewritten file by its modification time. JWT
keys (`apikeys.keyring`) and premium license keys (`licenses.keyring`) never share a key."""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.files import write_private

_RECHECK_SECONDS = 2.0


@dataclass(frozen=True)
class KeyKind:
    """What a keyring holds. Keys have a `kid` and a `public_key`."""

    label: str  # for messages: "JWT", "premium license"
    inline_setting: str  # the keyring JSON itself
    file_setting: str  # or the file that holds it
    new_key: Callable[[], Any]
    key_from_pem: Callable[[str], Any]
    key_to_pem: Callable[[Any], str]
    grace: int  # seconds a retired key keeps verifying: the longest life of what it signed


class Keyring:
    """The keys of one kind, re-read when their source changes. `build(signing, verifying)` makes
    what `current()` answers (e.g. an object with a JWKS and a decoder)."""

    def __init__(self, kind: KeyKind, build: Callable[[Any, dict], Any]):
        self.kind, self._build = kind, build
        self._lock = threading.Lock()
        self._cached: tuple[Any, float, object] | None = None  # built, checked at, source stamp

    def current(self, *, recheck: bool = False):
        """The keys, their source re-checked at most every 2 s (at once with `recheck`: a stat()
        of the file, which is parsed again only when it changed)."""
        cached, now = self._cached, time.monotonic()
        if cached is not None and now - cached[1] < _RECHECK_SECONDS and not recheck:
            return cached[0]
        with self._lock:
            stamp = self._source_stamp()
            if self._cached is None or self._cached[2] != stamp:
                self._cached = (self._parse(self._read_document(), now=time.time()), now, stamp)
            else:
                self._cached = (self._cached[0], now, stamp)
            return self._cached[0]

    def forget(self) -> None:
        """Read the source again on the next `current()` (settings changed, e.g. in a test)."""
        self._cached = None

    def rotate(self, *, now: float | None = None) -> tuple[str, list[str]]:
        """Retire the signing key, add a new one, drop keys past their grace: (new kid, dropped kids)."""
        kind = self.kind
        if getattr(settings, kind.inline_setting):
            raise ImproperlyConfigured(
                f"The {kind.label} keys come from {kind.inline_setting}; rotate them there, "
                f"or use {kind.file_setting}."
            )
        now = time.time() if now is None else now
        with self._lock:
            document = self._read_document()
            entries = [e for e in document["keys"] if not self._past_grace(e, now)]
            dropped = [kind.key_from_pem(e["private_key"]).kid for e in document["keys"] if e not in entries]
            for entry in entries:
                entry["retired_at"] = entry.get("retired_at") or int(now)
            new_key = kind.new_key()
            entries.append(self._entry(new_key, now))
            _write(self._path(), {"keys": entries})
            self._cached = None
        return new_key.kid, dropped

    def _source_stamp(self):
        if getattr(settings, self.kind.inline_setting):
            return "inline"
        try:
            stat = self._path().stat()
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def _path(self) -> Path:
        return Path(getattr(settings, self.kind.file_setting))

    def _read_document(self) -> dict:
        inline = getattr(settings, self.kind.inline_setting)
        if inline:
            return _loads(inline, self.kind.inline_setting)
        path = self._path()
        if not path.exists():
            _write(path, {"keys": [self._entry(self.kind.new_key(), time.time())]}, exclusive=True)
        return _loads(path.read_text(), str(path))

    def _parse(self, document: dict, *, now: float):
        signing, verifying = None, {}
        for entry in document["keys"]:
            if self._past_grace(entry, now):
                continue
            key = self.kind.key_from_pem(entry["private_key"])
            verifying[key.kid] = key.public_key
            if not entry.get("retired_at"):
                signing = key
        if signing is None:
            raise ImproperlyConfigured(f"The {self.kind.label} keyring has no unretired key to sign with.")
        return self._build(signing, verifying)

    def _past_grace(self, entry: dict, now: float) -> bool:
        retired_at = entry.get("retired_at")
        return bool(retired_at) and now > retired_at + self.kind.grace

    def _entry(self, key, now: float) -> dict:
        return {"private_key": self.kind.key_to_pem(key), "created_at": int(now), "retired_at": None}


def _loads(text: str, where: str) -> dict:
    try:
        document = json.loads(text)
        assert isinstance(document["keys"], list)
        assert document["keys"]
    except (ValueError, KeyError, TypeError, AssertionError):
        raise ImproperlyConfigured(
            f'{where} is not a keyring: {{"keys": [...]}} with at least one key'
        ) from None
    return document


def _write(path: Path, document: dict, *, exclusive: bool = False) -> None:
    """Atomically, readable by the owner only; `exclusive` loses gracefully to a concurrent first write."""
    write_private(path, json.dumps(document, indent=1), exclusive=exclusive)
