"""The JWT signing keys (ES256): a keyring (`core.keyrings`) from ``PORTAL_JWT_KEYS`` (the JSON
itself) or ``PORTAL_JWT_KEYS_FILE`` (``var/jwt-keys.json``, generated once, by default).
``manage.py rotate_signing_key`` adds a key; the old one verifies, and stays in the JWKS, until
every token it signed has expired."""

import functools
from dataclasses import dataclass

from django.conf import settings

from accounts.models import JWT_LIFETIME_MAX
from apikeys import tokens
from core.keyrings import KeyKind, Keyring

# A retired key verifies (and is published) until every token it signed has expired.
RETIRED_KEY_GRACE = JWT_LIFETIME_MAX + 300


@dataclass(frozen=True)
class JwtKeys:
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


KIND = KeyKind(
    label="JWT",
    inline_setting="PORTAL_JWT_KEYS",
    file_setting="PORTAL_JWT_KEYS_FILE",
    new_key=tokens.new_signing_key,
    key_from_pem=tokens.key_from_pem,
    key_to_pem=tokens.key_to_pem,
    grace=RETIRED_KEY_GRACE,
)
_keyring = Keyring(KIND, lambda signing, verifying: JwtKeys(signing=signing, verifying=verifying))
current = _keyring.current
rotate = _keyring.rotate
forget = _keyring.forget


def decode(token: str) -> dict:
    """`current().decode(token)`, but a kid the keys lack makes them be re-checked at once: a key
    another process has just rotated in is trusted on its first token, not up to 2 s later."""
    keys = current()
    try:
        return keys.decode(token)
    except tokens.UnknownKid:
        fresh = current(recheck=True)
        if fresh is keys:
            raise
        return fresh.decode(token)
