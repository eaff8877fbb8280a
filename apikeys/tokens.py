"""JWT minting and verification, JWKS. Pure functions: no ORM, no settings, no files.

One algorithm, ES256, is pinned on both sides: a token naming any other (``none``, HS256 signed
with the public key, RS256) is refused before its signature is looked at. Keys are found only by
``kid`` among our own; a ``jku``/``x5u``/``jwk``/``x5c`` header pointing elsewhere is an attack
and refused outright, not merely ignored.
"""

import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ALGORITHM = "ES256"
AUDIENCE = "portal-api"
AMR_APIKEY = "apikey"
AMR_PASSWORD = "pwd"  # noqa: S105 (a method name from RFC 8176, not a password)
AMR_MFA = "mfa"  # RFC 8176: a second factor too (a browser sign-in with one, `portal login`)
AMR_SSO = "sso"  # through the tenant's identity provider (`portal login` at such a tenant)
# The method lists a token may carry: a key; a password (alone, or with a second factor, from a
# browser sign-in); the tenant's identity provider.
AMR_HWK = "hwk"  # RFC 8176: a hardware-bound key: a passkey, signing in alone (with user verification)
AMRS = ([AMR_APIKEY], [AMR_PASSWORD], [AMR_PASSWORD, AMR_MFA], [AMR_SSO], [AMR_HWK, AMR_MFA])
REQUIRED_CLAIMS = ("iss", "aud", "sub", "tid", "wgs", "amr", "iat", "nbf", "exp", "jti")
_FOREIGN_KEY_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit"})
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class InvalidToken(Exception):
    """Any reason a token is refused; the reason is for logs, never for the caller."""


class UnknownKid(InvalidToken):
    """Signed, if at all, by a key this keyring does not hold (perhaps one just rotated in)."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()


def new_signing_key() -> SigningKey:
    private_key = ec.generate_private_key(ec.SECP256R1())
    return SigningKey(kid=thumbprint(private_key.public_key()), private_key=private_key)


def key_from_pem(pem: str) -> SigningKey:
    private_key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or private_key.curve.name != "secp256r1":
        raise ValueError("A JWT signing key must be an EC P-256 private key (ES256).")
    return SigningKey(kid=thumbprint(private_key.public_key()), private_key=private_key)


def key_to_pem(key: SigningKey) -> str:
    return key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict:
    jwk = ECAlgorithm.to_jwk(public_key, as_dict=True)
    return {"kty": "EC", "crv": "P-256", "x": jwk["x"], "y": jwk["y"]}


def thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 JWK thumbprint: a kid any verifier can recompute from the key itself."""
    canonical = json.dumps(public_jwk(public_key), separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def jwks(public_keys: Sequence[ec.EllipticCurvePublicKey]) -> dict:
    return {
        "keys": [
            {**public_jwk(key), "kid": thumbprint(key), "use": "sig", "alg": ALGORITHM} for key in public_keys
        ]
    }


def claims(
    *,
    issuer: str,
    user_id: str,
    tenant_id: str,
    workgroup_ids: Sequence[str],
    amr: str | Sequence[str],
    now: int,
    expires_at: int,
    apikey_id: str | None = None,
    auth_time: int | None = None,
) -> dict:
    body = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": user_id,
        "tid": tenant_id,
        "wgs": sorted(workgroup_ids),
        "amr": [amr] if isinstance(amr, str) else list(amr),
        "iat": now,
        "nbf": now,
        "exp": expires_at,
        "jti": secrets.token_urlsafe(16),
    }
    if apikey_id is not None:
        body["akid"] = apikey_id
    if auth_time is not None:
        body["auth_time"] = auth_time  # when the person signed in (OIDC's claim): refreshes keep it
    return body


def encode(body: Mapping, key: SigningKey) -> str:
    """A compact JWS (RFC 7515) of `body`, ES256, by PyJWT."""
    return jwt.encode(dict(body), key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def decode(token: str, *, public_keys: Mapping[str, ec.EllipticCurvePublicKey], issuer: str) -> dict:
    """The verified claims of `token`, or InvalidToken. No leeway: our own clock issued it."""
    header = _header(token)
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(f"algorithm {header.get('alg')!r} is not {ALGORITHM}")
    if _FOREIGN_KEY_HEADERS & header.keys():
        raise InvalidToken(f"foreign key header {sorted(_FOREIGN_KEY_HEADERS & header.keys())}")
    public_key = public_keys.get(header.get("kid"))
    if public_key is None:
        raise UnknownKid(f"unknown kid {header.get('kid')!r}")
    try:
        body = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=issuer,
            options={"require": list(REQUIRED_CLAIMS), "strict_aud": True},
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(f"{type(exc).__name__}: {exc}") from None
    _check_shapes(body)
    return body


class VerifiedTokens:
    """`decode` with a memory: a token seen before costs a dict lookup and its time checks instead
    of an ECDSA verification (about 0.25 ms, most of a Bearer request's own cost).

    Sound because verification is a pure function of the token's exact text, the issuer and the
    public keys, and a memory lives with one set of public keys (one keyring). Only tokens that
    passed are remembered, so a forger cannot fill it; `exp` and `nbf` are checked on every use.

    An entry (the token's text and its claims) takes about 5 KB: 1024 of them hold a busy
    process's pipelines (each reuses its token until it expires) in ~5 MB. With 8192, the soak
    (a new token every round) grew each web process by ~20 MB over 10 minutes, still filling.
    """

    def __init__(self, public_keys: Mapping[str, ec.EllipticCurvePublicKey], *, size: int = 1024):
        self._public_keys = public_keys
        self._size = size
        self._seen: dict[tuple[str, str], dict] = {}

    def decode(self, token: str, *, issuer: str, now: float | None = None) -> dict:
        body = self._seen.get((issuer, token))
        if body is None:
            body = decode(token, public_keys=self._public_keys, issuer=issuer)
            if len(self._seen) >= self._size:
                self._seen.clear()  # simple and thread-safe; the next uses re-verify
            self._seen[(issuer, token)] = body
        now = time.time() if now is None else now
        # PyJWT's own comparisons, with no leeway.
        if body["exp"] <= now:
            raise InvalidToken("ExpiredSignatureError: Signature has expired")
        if body["nbf"] > now:
            raise InvalidToken("ImmatureSignatureError: The token is not yet valid (nbf)")
        return dict(body)


def _header(token: str) -> dict:
    """The JOSE header, parsed once here (PyJWT parses it again while verifying)."""
    if not isinstance(token, str) or not _COMPACT.fullmatch(token):
        raise InvalidToken("malformed: not a compact JWS")
    encoded = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except ValueError:
        raise InvalidToken("malformed header") from None
    if not isinstance(header, dict):
        raise InvalidToken("malformed header")
    return header


def _check_shapes(body: dict) -> None:
    if not isinstance(body["sub"], str) or not isinstance(body["tid"], str):
        raise InvalidToken("sub and tid must be strings")
    if not isinstance(body["wgs"], list) or not all(isinstance(w, str) for w in body["wgs"]):
        raise InvalidToken("wgs must be a list of ids")
    if body["amr"] not in AMRS:
        raise InvalidToken(f"unknown amr {body['amr']!r}")
    if (body["amr"] == [AMR_APIKEY]) != isinstance(body.get("akid"), str):
        raise InvalidToken("akid goes with amr apikey, and only with it")
    if "auth_time" in body and (type(body["auth_time"]) is not int or body["auth_time"] > body["iat"]):
        raise InvalidToken("auth_time must be whole seconds, no later than iat")
