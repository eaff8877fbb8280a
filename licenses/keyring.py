"""The premium license signing keys (Ed25519): their own keyring (`core.keyrings`), never the
JWT key, from ``PORTAL_LICENSE_KEYS`` (the JSON itself) or ``PORTAL_LICENSE_KEYS_FILE``
(``var/license-keys.json``, generated once, by default). A retired key stays published for as long
as a file it signed can still be valid, so tools verifying offline keep working across a rotation."""

import functools
from dataclasses import dataclass

import premiumcrl
import premiumlic
from core.keyrings import KeyKind, Keyring

RETIRED_KEY_GRACE = premiumlic.MAX_FILE_LIFETIME + premiumlic.CLOCK_SKEW


@dataclass(frozen=True)
class LicenseKeys:
    signing: premiumlic.SigningKey
    verifying: dict  # kid → Ed25519 public key

    @functools.cached_property
    def jwks(self) -> dict:
        return premiumlic.jwks(self.verifying.values())

    def sign(self, body: dict) -> str:
        return premiumlic.sign(body, self.signing)

    def verify(self, text: str) -> dict:
        """The payload of a genuine file signed by one of our keys, or premiumlic.InvalidLicense."""
        return premiumlic.verify(text, self.verifying)

    def sign_revocations(self, body: dict) -> str:
        return premiumcrl.sign(body, self.signing)


KIND = KeyKind(
    label="premium license",
    inline_setting="PORTAL_LICENSE_KEYS",
    file_setting="PORTAL_LICENSE_KEYS_FILE",
    new_key=premiumlic.new_signing_key,
    key_from_pem=premiumlic.key_from_pem,
    key_to_pem=premiumlic.key_to_pem,
    grace=RETIRED_KEY_GRACE,
)
_keyring = Keyring(KIND, lambda signing_key, verifying: LicenseKeys(signing=signing_key, verifying=verifying))
current = _keyring.current
rotate = _keyring.rotate
forget = _keyring.forget
