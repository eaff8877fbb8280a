"""The signed revocation list of premium.lic files (DESIGN.md §6, "Additions"): the same envelope
and armour as a file, signed by a license key over ``premium.crl/v1.`` + `enc` (so neither can
pass for the other). Pure, shared by the server (which signs) and the `portal` command."""

from collections.abc import Iterable, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import premiumlic

TYPE = "premium.crl"
SIGNED_PREFIX = b"premium.crl/v1."
ARMOUR = ("-----BEGIN PREMIUM REVOCATIONS-----", "-----END PREMIUM REVOCATIONS-----")
_FIELDS = {"typ", "seq", "iat", "next", "fids", "lids"}
_HEX_GONE = str.maketrans("", "", "0123456789abcdef-\n")


def payload(*, seq: int, issued_at: int, next_at: int, fids: Iterable[str], lids: Iterable[str]) -> dict:
    body = {
        "typ": TYPE,
        "seq": int(seq),
        "iat": int(issued_at),
        "next": int(next_at),
        "fids": sorted({str(fid) for fid in fids}),
        "lids": sorted({str(lid) for lid in lids}),
    }
    _check(body)
    return body


def sign(body: Mapping, key: premiumlic.SigningKey) -> str:
    _check(body)
    return premiumlic.signed_text(body, key, SIGNED_PREFIX, ARMOUR)


def verify(text: str, public_keys: Mapping[str, Ed25519PublicKey]) -> dict:
    """The payload of a genuine, intact list, or premiumlic.InvalidLicense (and its subclasses)."""
    body = premiumlic.signed_payload(text, public_keys, SIGNED_PREFIX, ARMOUR)
    try:
        _check(body)
    except ValueError as exc:
        raise premiumlic.InvalidLicense(f"malformed revocation list: {exc}") from None
    return body


def unverified_seq(text: str) -> int:
    """The `seq` a list says it has, signature unchecked: for a copy kept locally after it was
    verified, which later keys may not verify. ValueError when unreadable."""
    try:
        body = premiumlic.unverified_payload(text, ARMOUR)
    except premiumlic.InvalidLicense as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(body, Mapping) or type(body.get("seq")) is not int:
        raise ValueError("no seq")
    return body["seq"]


def revoked(body: Mapping, license_payload: Mapping) -> bool:
    """Whether the list names this file, or its license."""
    return license_payload["fid"] in set(body["fids"]) or license_payload["lid"] in set(body["lids"])


def _check(body: Mapping) -> None:
    if not isinstance(body, Mapping) or not set(body) >= _FIELDS or body["typ"] != TYPE:
        raise ValueError(f"fields must include {sorted(_FIELDS)}, typ {TYPE!r}")
    if not all(type(body[field]) is int for field in ("seq", "iat", "next")) or body["seq"] < 1:
        raise ValueError("seq, iat and next are integers, seq from 1")
    for field in ("fids", "lids"):
        ids = body[field]
        if not isinstance(ids, list) or not _uuids(ids):
            raise ValueError(f"{field} is a list of UUIDs")


def _uuids(ids: list) -> bool:
    """Whether every item is a UUID as the server writes them (lowercase, dashed), checked with a
    few passes of C over them all: a list names up to hundreds of thousands."""
    if not set(map(type, ids)) <= {str}:
        return False
    n = len(ids)
    joined = "\n".join(ids)
    if len(joined) != max(0, 37 * n - 1) or joined[36::37] != "\n" * max(0, n - 1):
        return False  # each 36 characters long
    if any(joined[dash::37] != "-" * n for dash in (8, 13, 18, 23)):
        return False
    if joined.count("-") != 4 * n or joined.count("\n") != max(0, n - 1):
        return False  # dashes and newlines only there
    return not joined.translate(_HEX_GONE)  # nothing but lowercase hex digits, dashes, newlines
