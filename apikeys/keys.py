"""API key text: format, checksum and digest. Pure functions: no ORM, no settings.

A key is ``pak_`` + 32 random base62 characters + 6 base62 characters of CRC32, the shape of
secret-scanning-friendly public token formats: a scanner recognises the prefix and can check the
checksum offline, and a typo or truncated key is refused before any database work.
"""

import hashlib
import hmac
import re
import secrets
import zlib

PREFIX = "pak_"
BODY_LENGTH = 32  # 32 * log2(62) = about 190 bits of entropy
CHECKSUM_LENGTH = 6  # 62**6 > 2**32, so any CRC32 fits
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KEY_LENGTH = len(PREFIX) + BODY_LENGTH + CHECKSUM_LENGTH
_SHAPE = re.compile(rf"^{PREFIX}[0-9A-Za-z]{{{BODY_LENGTH + CHECKSUM_LENGTH}}}$")


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(width, ALPHABET[0])


def checksum(body: str) -> str:
    """CRC32 over prefix and body, so a body pasted under another prefix does not pass."""
    return _base62(zlib.crc32(f"{PREFIX}{body}".encode()), CHECKSUM_LENGTH)


def generate() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"{PREFIX}{body}{checksum(body)}"


def is_well_formed(key: str) -> bool:
    """Shape and checksum only: the cheap gate before any database lookup."""
    if not isinstance(key, str) or len(key) != KEY_LENGTH or not _SHAPE.match(key):
        return False
    body, check = key[len(PREFIX) : -CHECKSUM_LENGTH], key[-CHECKSUM_LENGTH:]
    return hmac.compare_digest(checksum(body), check)


def digest(key: str) -> str:
    """What is stored: the SHA-256 hex digest of the whole key. Keys carry ~190 random bits, so a
    fast hash is enough; a slow password hash would only slow every request down."""
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """What pages show to tell keys apart, e.g. ``pak_3kT9``: 4 of 190 bits, useless to an attacker."""
    return key[: len(PREFIX) + 4]
