"""The `premium.lic` format, version 1: payload, Ed25519 signature, armour, verification. Pure.

Shared by the server (which signs) and the `portal` command (which verifies); needs only
`cryptography`, and names the `credentials.json` fields. A file is the armoured envelope
``{"v": 1, "alg": "ed25519", "kid", "enc", "sig"}``: `sig` signs ``premium.lic/v1.`` + `enc` (the
prefix keeps any other signature from passing for a license) with the licenses' own key. Only the
exact bytes this module writes verify: the armour is re-encoded and compared byte for byte."""

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = 1
TYPE = "premium.lic"
# The fields of the tools' credentials.json, which the licensing endpoint takes, highest priority
# first: what a file is issued for is decided by the first method present.
SERIAL, BYOL_ID, BYOL_SECRET, DRAGEN_KEY, PORTAL_KEY = (
    "DragenSerialNo",
    "ApiKey",
    "ApiSecret",
    "DragenApiKey",
    "MyIlluminaApiKey",
)
# The license credential methods, highest priority first, with the fields that present each
# (its identifier first; a second is its password). A portal API key is no license credential: it
# comes last, for basic sources only. The server's side of each method: licenses/methods.py.
CREDENTIAL_METHODS = (
    ("dragen_serial", (SERIAL,)),
    ("byol", (BYOL_ID, BYOL_SECRET)),
    ("dragen_api_key", (DRAGEN_KEY,)),
)
CREDENTIAL_FIELDS = (*(field for _, fields in CREDENTIAL_METHODS for field in fields), PORTAL_KEY)
SIGNED_PREFIX = b"premium.lic/v1."
SOURCES = ("COSMIC", "OMIM", "PrimateAI-3D", "SpliceAI", "PromoterAI")
METHODS = tuple(name for name, _ in CREDENTIAL_METHODS)
MAX_FILE_LIFETIME = 90 * 86400  # a file expires 90 days after issue at the latest
CLOCK_SKEW = 300  # seconds a verifier allows either side of the time window
BEGIN, END = "-----BEGIN PREMIUM LICENSE-----", "-----END PREMIUM LICENSE-----"
_LINE = 64
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_FIELDS = {"typ", "fid", "lid", "tid", "tenant", "method", "cred", "sources", "iat", "nbf", "exp"}
# The compatible additions (DESIGN.md §6): optional; checked when present, other unknown fields
# ignored. `exp` is never later than any `src_exp`, so a verifier that ignores them stops in time.
MAX_GRACE = 14 * 86400


class InvalidLicense(Exception):
    """Not a genuine, intact premium.lic of ours. This class itself: not shaped like one (armour,
    envelope or payload); the subclasses say when the shape is right but the key or signature not."""


class UnknownKey(InvalidLicense):
    """Signed with a key (`kid`) the verifier was not given."""


class BadSignature(InvalidLicense):
    """The signature does not match: the file was changed, or signed by someone else."""


class OutsideWindow(Exception):
    """Genuine, but not valid at this time; `expired` tells which side of its window."""

    def __init__(self, message: str, *, expired: bool):
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey

    @cached_property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


def new_signing_key() -> SigningKey:
    private_key = Ed25519PrivateKey.generate()
    return SigningKey(kid=thumbprint(private_key.public_key()), private_key=private_key)


def key_from_pem(pem: str) -> SigningKey:
    private_key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(private_key, Ed25519PrivateKey):
        raise ValueError("A premium license signing key must be an Ed25519 private key.")
    return SigningKey(kid=thumbprint(private_key.public_key()), private_key=private_key)


def key_to_pem(key: SigningKey) -> str:
    return key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_jwk(public_key: Ed25519PublicKey) -> dict:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def thumbprint(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint (RFC 8037 for OKP keys): a kid any verifier can recompute."""
    canonical = json.dumps(public_jwk(public_key), separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def jwks(public_keys: Iterable[Ed25519PublicKey]) -> dict:
    return {
        "keys": [
            {**public_jwk(key), "kid": thumbprint(key), "use": "sig", "alg": "EdDSA"} for key in public_keys
        ]
    }


def public_keys(document: Mapping) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 keys of a JWKS (`/.well-known/premium-license-keys.json`) by kid; ValueError if
    it is not one, or a key's kid is not its thumbprint."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError('not a JWKS: expected {"keys": [...]}')
    found = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue  # some other kind of key: not ours to use
        try:
            key = Ed25519PublicKey.from_public_bytes(_b64url_decode(str(jwk.get("x", ""))))
        except (InvalidLicense, ValueError):
            raise ValueError(f"key {jwk.get('kid')!r} is not a valid Ed25519 public key") from None
        kid = thumbprint(key)
        if jwk.get("kid", kid) != kid:
            raise ValueError(f"key {jwk.get('kid')!r} does not match its thumbprint")
        found[kid] = key
    return found


def public_key_from_pem(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (SubjectPublicKeyInfo); ValueError for anything else."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def credential_fingerprint(public_identifier: str) -> str:
    """What a file says of its credential: SHA-256 of the public identifier, never a secret."""
    return hashlib.sha256(public_identifier.encode()).hexdigest()


def payload(
    *,
    file_id: str,
    license_id: str,
    tenant_id: str,
    tenant_domain: str,
    method: str,
    credential: str,
    sources: Iterable[str],
    issued_at: int,
    license_ends_at: int,
    not_before: int | None = None,
    source_ends: Mapping[str, int] | None = None,
    grace: int | None = None,
    seq: int | None = None,
) -> dict:
    """A version 1 payload; `credential` is the credential's public identifier (hashed here).
    With `source_ends` (each source's own end), `grace` (seconds) or `seq`, the additions too:
    `exp` then stops at the earliest source's end."""
    sources = sorted(set(sources))
    ends = [int(license_ends_at)]
    if source_ends is not None:
        ends += [int(source_ends[source]) for source in sources]
    body = {
        "typ": TYPE,
        "fid": str(file_id),
        "lid": str(license_id),
        "tid": str(tenant_id),
        "tenant": tenant_domain,
        "method": method,
        "cred": credential_fingerprint(credential),
        "sources": sources,
        "iat": int(issued_at),
        "nbf": int(issued_at if not_before is None else not_before),
        "exp": min(int(issued_at) + MAX_FILE_LIFETIME, *ends),
    }
    if source_ends is not None:
        body["src_exp"] = {source: int(source_ends[source]) for source in sources}
    if grace is not None:
        body["grace"] = int(grace)
    if seq is not None:
        body["seq"] = int(seq)
    _check_payload(body)
    return body


def sign(body: Mapping, key: SigningKey) -> str:
    """The premium.lic text for `body`, signed with `key`."""
    _check_payload(body)
    return signed_text(body, key, SIGNED_PREFIX, (BEGIN, END))


def verify(text: str, public_keys: Mapping[str, Ed25519PublicKey]) -> dict:
    """The payload of a genuine, intact file (whatever its time window), or InvalidLicense."""
    body = signed_payload(text, public_keys, SIGNED_PREFIX, (BEGIN, END))
    try:
        _check_payload(body)
    except (ValueError, TypeError) as exc:
        raise InvalidLicense(f"malformed payload: {exc}") from None
    return body


def signed_text(body: Mapping, key: SigningKey, prefix: bytes, armour: tuple[str, str]) -> str:
    """`body` in the envelope, its signature over `prefix` + `enc`, armoured: the shape premium.lic
    and the revocation list (premiumcrl) share."""
    enc = _b64url(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    sig = _b64url(key.private_key.sign(prefix + enc.encode()))
    envelope = {"v": VERSION, "alg": "ed25519", "kid": key.kid, "enc": enc, "sig": sig}
    return _armour(_envelope_bytes(envelope), armour)


def signed_payload(
    text: str, public_keys: Mapping[str, Ed25519PublicKey], prefix: bytes, armour: tuple[str, str]
) -> dict:
    """The JSON object a genuine, intact text signed over `prefix` holds (unchecked), or InvalidLicense."""
    envelope = _envelope(text, armour)
    public_key = public_keys.get(envelope["kid"])
    if public_key is None:
        raise UnknownKey(f"unknown signing key {envelope['kid']!r}")
    if not isinstance(public_key, Ed25519PublicKey):  # e.g. a JWT key handed over by mistake
        raise InvalidLicense("not an Ed25519 public key")
    signature = _b64url_decode(envelope["sig"])
    if _b64url(signature) != envelope["sig"]:  # unused low bits set: same bytes, other text
        raise BadSignature("signature not in canonical base64url")
    try:
        public_key.verify(signature, prefix + envelope["enc"].encode())
    except InvalidSignature:
        raise BadSignature("bad signature") from None
    try:
        body = json.loads(_b64url_decode(envelope["enc"]))
    except (ValueError, RecursionError) as exc:  # RecursionError: nested past the parser
        raise InvalidLicense(f"malformed payload: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidLicense("malformed payload: not an object")
    return body


def unverified_payload(text: str, armour: tuple[str, str] = (BEGIN, END)) -> object:
    """What a text's payload says, its signature NOT checked: only for a copy this program kept
    after verifying it (premiumcrl.unverified_seq). InvalidLicense when unreadable."""
    envelope = _envelope(text, armour)
    try:
        return json.loads(_b64url_decode(envelope["enc"]))
    except (ValueError, RecursionError) as exc:
        raise InvalidLicense(f"malformed payload: {exc}") from None


def check_window(body: Mapping, *, now: float, skew: int = CLOCK_SKEW) -> None:
    """OutsideWindow unless `now` lies in [nbf, exp), give or take `skew` seconds. A file's grace
    does not count here: `in_grace` tells whether an expired file may still be used, with a warning."""
    if now < body["nbf"] - skew:
        raise OutsideWindow("not valid yet", expired=False)
    if now >= body["exp"] + skew:
        raise OutsideWindow("expired", expired=True)


def in_grace(body: Mapping, *, now: float, skew: int = CLOCK_SKEW) -> bool:
    """Whether an expired file is still inside its grace (`grace` seconds after `exp`)."""
    return now < body["exp"] + body.get("grace", 0) + skew


def is_uuid(text: str) -> bool:
    return bool(_UUID.fullmatch(text))


def _check_payload(body: Mapping) -> None:
    problems = []
    if not isinstance(body, Mapping) or not set(body) >= _FIELDS:
        raise ValueError(f"payload fields must include {sorted(_FIELDS)}")
    if body["typ"] != TYPE:
        problems.append("typ")
    if not all(isinstance(body[f], str) and _UUID.fullmatch(body[f]) for f in ("fid", "lid", "tid")):
        problems.append("ids")
    if not isinstance(body["tenant"], str) or not body["tenant"]:
        problems.append("tenant")
    if body["method"] not in METHODS:
        problems.append("method")
    if not isinstance(body["cred"], str) or not _SHA256_HEX.fullmatch(body["cred"]):
        problems.append("cred")
    sources = body["sources"]
    if (
        not isinstance(sources, list)
        or not sources
        or sources != sorted(set(sources))
        or not set(sources) <= set(SOURCES)
    ):
        problems.append("sources")
    times = [body[f] for f in ("iat", "nbf", "exp")]
    if not all(type(t) is int for t in times) or not body["nbf"] < body["exp"]:
        problems.append("times")
    problems += _addition_problems(body)
    if problems:
        raise ValueError(f"invalid payload: {', '.join(problems)}")


def _addition_problems(body: Mapping) -> list[str]:
    problems = []
    if "src_exp" in body:
        ends = body["src_exp"]
        if (
            not isinstance(ends, Mapping)
            or set(ends) != set(body["sources"] if isinstance(body["sources"], list) else ())
            or not all(type(end) is int for end in ends.values())
            or (type(body["exp"]) is int and any(body["exp"] > end for end in ends.values()))
        ):
            problems.append("src_exp")
    if "grace" in body and not (type(body["grace"]) is int and 0 <= body["grace"] <= MAX_GRACE):
        problems.append("grace")
    if "seq" in body and not (type(body["seq"]) is int and body["seq"] >= 1):
        problems.append("seq")
    return problems


def _envelope(text: str, armour: tuple[str, str]) -> dict:
    if not isinstance(text, str):
        raise InvalidLicense("not text")
    lines = text.split("\n")
    if len(lines) < 4 or lines[0] != armour[0] or lines[-2] != armour[1] or lines[-1] != "":
        raise InvalidLicense(f"no armour: the first line is not {armour[0]}")
    try:
        raw = base64.b64decode("".join(lines[1:-2]), validate=True)
        envelope = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: '[' * 5000 and so on
        raise InvalidLicense("armour does not hold a JSON envelope") from None
    if not isinstance(envelope, dict) or set(envelope) != {"v", "alg", "kid", "enc", "sig"}:
        raise InvalidLicense("not a premium.lic envelope")
    if type(envelope["v"]) is not int or envelope["v"] != VERSION or envelope["alg"] != "ed25519":
        raise InvalidLicense(f"unsupported version or algorithm: {envelope['v']!r}, {envelope['alg']!r}")
    if not all(isinstance(envelope[f], str) for f in ("kid", "enc", "sig")):
        raise InvalidLicense("envelope fields must be strings")
    if not _canonical(lines[1:-2], raw, envelope):
        raise InvalidLicense("not in canonical form")  # every byte of the file counts
    return envelope


def _canonical(body_lines: list[str], raw: bytes, envelope: Mapping) -> bool:
    """Whether the armour is exactly what `_armour` writes for `envelope` (full lines of _LINE
    characters, the same base64, the same JSON): `text == _armour(...)`, without building it, so a
    revocation list of 100,000 files is checked in milliseconds."""
    return (
        set(map(len, body_lines[:-1])) <= {_LINE}
        and 0 < len(body_lines[-1]) <= _LINE
        and base64.b64encode(raw).decode() == "".join(body_lines)
        and _envelope_bytes(envelope) == raw
    )


def _envelope_bytes(envelope: Mapping) -> bytes:
    fields = ("v", "alg", "kid", "enc", "sig")
    return json.dumps({f: envelope[f] for f in fields}, separators=(",", ":")).encode()


def _armour(data: bytes, armour: tuple[str, str] = (BEGIN, END)) -> str:
    encoded = base64.b64encode(data).decode()
    lines = [encoded[i : i + _LINE] for i in range(0, len(encoded), _LINE)]
    return "\n".join([armour[0], *lines, armour[1]]) + "\n"


_B64URL_GONE = str.maketrans("", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    if text.translate(_B64URL_GONE):  # a pass of C, not a regex: a revocation list's runs to megabytes
        raise InvalidLicense("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise InvalidLicense("not base64url") from None
