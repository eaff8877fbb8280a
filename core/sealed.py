"""Secrets kept at rest (an identity provider's client secret): sealed with Fernet under a key
derived (HKDF-SHA256) from PORTAL_SEALING_KEY, or SECRET_KEY where that is not set, so a database
dump alone reads nothing. Several comma-separated keys: the first seals, each one opens (rotation)."""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class Unreadable(Exception):
    """Sealed under a key this process does not hold, or altered."""


def seal(text: str) -> str:
    return _fernet(_keys()).encrypt(text.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _fernet(_keys()).decrypt(token.encode()).decode()
    except InvalidToken:
        raise Unreadable("sealed under another key, or altered") from None


def _keys() -> tuple[str, ...]:
    given = settings.PORTAL_SEALING_KEY or settings.SECRET_KEY
    return tuple(key.strip() for key in given.split(",") if key.strip())


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_derive(key)) for key in keys])


def _derive(key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"portal sealed secrets")
    return base64.urlsafe_b64encode(hkdf.derive(key.encode()))
