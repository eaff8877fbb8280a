"""Key text: format, checksum and digest. Pure functions: no ORM, no settings.

A key is a product prefix (``pak_`` for portal API keys) + 32 random base62 characters + 6 base62
characters of CRC32, the shape of secret-scanning-friendly public token formats: a scanner
recognises the prefix and can check the checksum offline, and a typo or truncated key is refused
before any database work. Other secrets of the same shape (DRAGEN API keys) use their own prefix,
so a key of one kind never passes for the other.
"""

import hashlib
import hmac
import re
import secrets
import zlib

BODY_LENGTH = 32  # 32 * log2(62) = about 190 bits of entropy
CHECKSUM_LENGTH = 6  # 62**6 > 2**32, so any CRC32 fits
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(width, ALPHABET[0])


class KeyFormat:
    """Keys of one kind: ``<prefix><body><checksum>``."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.length = len(prefix) + BODY_LENGTH + CHECKSUM_LENGTH
        self._shape = re.compile(rf"^{re.escape(prefix)}[0-9A-Za-z]{{{BODY_LENGTH + CHECKSUM_LENGTH}}}$")

    def checksum(self, body: str) -> str:
        """CRC32 over prefix and body, so a body pasted under another prefix does not pass."""
        return _base62(zlib.crc32(f"{self.prefix}{body}".encode()), CHECKSUM_LENGTH)

    def generate(self) -> str:
        body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
        return f"{self.prefix}{body}{self.checksum(body)}"

    def is_well_formed(self, key: str) -> bool:
        """Shape and checksum only: the cheap gate before any database lookup."""
        if not isinstance(key, str) or len(key) != self.length or not self._shape.match(key):
            return False
        body, check = key[len(self.prefix) : -CHECKSUM_LENGTH], key[-CHECKSUM_LENGTH:]
        return hmac.compare_digest(self.checksum(body), check)

    def display_prefix(self, key: str) -> str:
        """What pages show to tell keys apart, e.g. ``pak_3kT9``: 4 of 190 bits, useless to an attacker."""
        return key[: len(self.prefix) + 4]


def digest(key: str) -> str:
    """What is stored: the SHA-256 hex digest of the whole key. Keys carry ~190 random bits, so a
    fast hash is enough; a slow password hash would only slow every request down."""
    return hashlib.sha256(key.encode()).hexdigest()


PORTAL_KEYS = KeyFormat("pak_")
PREFIX = PORTAL_KEYS.prefix
KEY_LENGTH = PORTAL_KEYS.length
checksum = PORTAL_KEYS.checksum
generate = PORTAL_KEYS.generate
is_well_formed = PORTAL_KEYS.is_well_formed
display_prefix = PORTAL_KEYS.display_prefix
