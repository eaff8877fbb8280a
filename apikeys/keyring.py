"""The JWT signing keys: where they live, which one signs, which ones verify, and rotation.

A keyring is a small JSON document, ``{"keys": [{"private_key": PEM, "created_at": s,
"retired_at": s | null}, ...]}``: the newest unretired key signs; every key that may still have
live tokens verifies and is published in the JWKS. It comes from ``PORTAL_JWT_KEYS`` (the JSON
itself, or ``PORTAL_JWT_KEYS_FILE``) in production, or from ``var/jwt-keys.json``, generated once,
for the embedded default. Web processes notice a rotated file by its modification time.
"""

import contextlib
import functools
import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from accounts.models import JWT_LIFETIME_MAX
from apikeys import tokens

# A retired key verifies (and is published) until every token it signed has expired.
RETIRED_KEY_GRACE = JWT_LIFETIME_MAX + 300
_RECHECK_SECONDS = 2.0


@dataclass(frozen=True)
class Keyring:
    signing: tokens.SigningKey
    verifying: dict  # kid → public key

    @functools.cached_property
    def jwks(self) -> dict:
        return tokens.jwks(list(self.verifying.values()))

    @functools.cached_property
    def _verified(self) -> tokens.VerifiedTokens:
        return tokens.VerifiedTokens(self.verifying)

    def decode(self, token: str) -> dict:
        """The verified claims of one of our tokens, or tokens.InvalidToken."""
        return self._verified.decode(token, issuer=settings.PORTAL_JWT_ISSUER)


_lock = threading.Lock()
_cached: tuple[Keyring, float, object] | None = None  # keyring, checked at, source stamp


def current() -> Keyring:
    global _cached
    now = time.monotonic()
    if _cached is not None and now - _cached[1] < _RECHECK_SECONDS:
        return _cached[0]
    with _lock:
        stamp = _source_stamp()
        if _cached is None or _cached[2] != stamp:
            _cached = (_parse(_read_document(), now=time.time()), now, stamp)
        else:
            _cached = (_cached[0], now, stamp)
        return _cached[0]


def rotate(*, now: float | None = None) -> tuple[str, list[str]]:
    """Retire the signing key, add a new one, drop keys past their grace; returns (new kid, dropped)."""
    if settings.PORTAL_JWT_KEYS:
        raise ImproperlyConfigured(
            "The JWT keys come from PORTAL_JWT_KEYS; rotate them there, or use PORTAL_JWT_KEYS_FILE."
        )
    now = time.time() if now is None else now
    with _lock:
        document = _read_document()
        entries = [e for e in document["keys"] if not _past_grace(e, now)]
        dropped = [tokens.key_from_pem(e["private_key"]).kid for e in document["keys"] if e not in entries]
        for entry in entries:
            entry["retired_at"] = entry.get("retired_at") or int(now)
        new_key = tokens.new_signing_key()
        entries.append(_entry(new_key, now))
        _write(_path(), {"keys": entries})
    global _cached
    _cached = None
    return new_key.kid, dropped


def _source_stamp():
    if settings.PORTAL_JWT_KEYS:
        return "env"
    try:
        stat = _path().stat()
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _path() -> Path:
    return Path(settings.PORTAL_JWT_KEYS_FILE)


def _read_document() -> dict:
    if settings.PORTAL_JWT_KEYS:
        return _loads(settings.PORTAL_JWT_KEYS, "PORTAL_JWT_KEYS")
    path = _path()
    if not path.exists():
        _write(path, {"keys": [_entry(tokens.new_signing_key(), time.time())]}, exclusive=True)
    return _loads(path.read_text(), str(path))


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


def _parse(document: dict, *, now: float) -> Keyring:
    signing, verifying = None, {}
    for entry in document["keys"]:
        if _past_grace(entry, now):
            continue
        key = tokens.key_from_pem(entry["private_key"])
        verifying[key.kid] = key.public_key
        if not entry.get("retired_at"):
            signing = key
    if signing is None:
        raise ImproperlyConfigured("The JWT keyring has no unretired key to sign with.")
    return Keyring(signing=signing, verifying=verifying)


def _past_grace(entry: dict, now: float) -> bool:
    retired_at = entry.get("retired_at")
    return bool(retired_at) and now > retired_at + RETIRED_KEY_GRACE


def _entry(key: tokens.SigningKey, now: float) -> dict:
    return {"private_key": tokens.key_to_pem(key), "created_at": int(now), "retired_at": None}


def _write(path: Path, document: dict, *, exclusive: bool = False) -> None:
    """Atomically, readable by the owner only; `exclusive` loses gracefully to a concurrent first write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".jwt-keys-")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(document, out, indent=1)
        if exclusive:
            with contextlib.suppress(FileExistsError):  # another process created the keyring first
                os.link(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
