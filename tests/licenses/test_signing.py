"""premium.lic, version 1: what a tool relies on when it verifies a file offline."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

import premiumlic
from apikeys import tokens
from tests.helpers import LICENSE_ISSUED
from tests.helpers import license_payload as body

ISSUED = LICENSE_ISSUED  # when license_payload() says the file was issued
DAY = 86400
KEY = premiumlic.new_signing_key()
KEYS = {KEY.kid: KEY.public_key}


FILE = premiumlic.sign(body(), KEY)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unarmour(text: str) -> dict:
    return json.loads(base64.b64decode("".join(text.splitlines()[1:-1])))


def rearmour(envelope: dict) -> str:
    return premiumlic._armour(premiumlic._envelope_bytes(envelope))


def test_a_signed_file_verifies_and_gives_back_its_payload():
    original = body()
    text = premiumlic.sign(original, KEY)
    assert text.startswith(premiumlic.BEGIN + "\n") and text.endswith(premiumlic.END + "\n")
    assert all(len(line) <= 64 for line in text.splitlines())
    assert premiumlic.verify(text, KEYS) == original
    assert original["sources"] == ["COSMIC", "SpliceAI"]  # sorted
    assert set(unarmour(text)) == {"v", "alg", "kid", "enc", "sig"}


def test_the_file_names_a_fingerprint_of_the_credential_never_the_credential():
    text = premiumlic.sign(body(credential="BYOL-user-7f3a"), KEY)
    payload = premiumlic.verify(text, KEYS)
    assert payload["cred"] == premiumlic.credential_fingerprint("BYOL-user-7f3a")
    assert "BYOL-user-7f3a" not in base64.urlsafe_b64decode(unarmour(text)["enc"] + "==").decode()


def test_a_file_expires_90_days_after_issue_or_at_the_license_end_whichever_is_first():
    assert body()["exp"] == ISSUED + 90 * DAY
    assert body(license_ends_at=ISSUED + 10 * DAY)["exp"] == ISSUED + 10 * DAY


def test_an_independent_verifier_following_the_format_accepts_the_file():
    """Written from DESIGN.md alone: JWKS x → raw key, Ed25519 over "premium.lic/v1." + enc."""
    jwk = premiumlic.jwks([KEY.public_key])["keys"][0]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"], jwk["kid"]) == (
        "OKP",
        "Ed25519",
        "EdDSA",
        "sig",
        KEY.kid,
    )
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "="))
    envelope = unarmour(FILE)
    public.verify(
        base64.urlsafe_b64decode(envelope["sig"] + "=="), b"premium.lic/v1." + envelope["enc"].encode()
    )
    payload = json.loads(base64.urlsafe_b64decode(envelope["enc"] + "=" * (-len(envelope["enc"]) % 4)))
    assert payload["typ"] == "premium.lic" and payload["sources"] == ["COSMIC", "SpliceAI"]


def test_every_single_byte_change_anywhere_in_the_file_fails():
    for position, char in enumerate(FILE):
        for replacement in {"A", "a", "=", "\n", "+"} - {char}:
            with pytest.raises(premiumlic.InvalidLicense):
                premiumlic.verify(FILE[:position] + replacement + FILE[position + 1 :], KEYS)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0), st.characters(codec="utf-8"))
def test_any_single_character_change_fails(position, replacement):
    position %= len(FILE)
    if FILE[position] == replacement:
        return
    with pytest.raises(premiumlic.InvalidLicense):
        premiumlic.verify(FILE[:position] + replacement + FILE[position + 1 :], KEYS)


def test_dropping_or_adding_a_byte_fails():
    for text in (FILE[:-1], FILE + "\n", FILE.replace("\n", "\r\n"), " " + FILE, FILE[1:]):
        with pytest.raises(premiumlic.InvalidLicense):
            premiumlic.verify(text, KEYS)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lid", "0b6e4c1a-5d2f-4a8e-b3c7-9f1e2d3c4b5a"),
        ("tid", "1c7f5d2b-6e3a-4b9f-84d8-a02f3e4d5c6b"),
        ("tenant", "globex.localhost"),
        ("method", "byol"),
        ("cred", "0" * 64),
        ("sources", ["COSMIC", "OMIM", "SpliceAI"]),
        ("nbf", ISSUED - DAY),
        ("exp", ISSUED + 900 * DAY),
        ("iat", ISSUED + 1),
        ("fid", "2d8a6e3c-7f4b-4ca0-95e9-b13a4f5e6d7c"),
    ],
)
def test_a_payload_field_changed_without_the_key_fails(field, value):
    envelope = unarmour(FILE)
    payload = premiumlic.verify(FILE, KEYS)
    forged = {**payload, field: value}
    envelope["enc"] = b64url(json.dumps(forged, separators=(",", ":"), sort_keys=True).encode())
    with pytest.raises(premiumlic.BadSignature, match="bad signature"):
        premiumlic.verify(rearmour(envelope), KEYS)


def test_another_key_fails_even_under_the_right_kid():
    other = premiumlic.new_signing_key()
    with pytest.raises(premiumlic.BadSignature, match="bad signature"):
        premiumlic.verify(FILE, {KEY.kid: other.public_key})
    with pytest.raises(premiumlic.UnknownKey, match="unknown signing key"):
        premiumlic.verify(FILE, {other.kid: other.public_key})


def test_a_signature_without_the_domain_prefix_fails():
    envelope = unarmour(FILE)
    envelope["sig"] = b64url(KEY.private_key.sign(envelope["enc"].encode()))
    with pytest.raises(premiumlic.BadSignature, match="bad signature"):
        premiumlic.verify(rearmour(envelope), KEYS)


def test_the_jwt_keys_cannot_verify_a_license_nor_sign_one():
    jwt_key = tokens.new_signing_key()
    with pytest.raises(premiumlic.InvalidLicense):
        premiumlic.verify(FILE, {KEY.kid: jwt_key.public_key})
    with pytest.raises(ValueError, match="Ed25519"):
        premiumlic.key_from_pem(tokens.key_to_pem(jwt_key))
    assert isinstance(jwt_key.private_key, ec.EllipticCurvePrivateKey)


@pytest.mark.parametrize(
    "change",
    [
        {"v": 2},
        {"v": True},
        {"v": "1"},
        {"alg": "EdDSA"},
        {"alg": "none"},
        {"kid": 7},
    ],
)
def test_an_envelope_of_another_version_or_algorithm_fails(change):
    envelope = {**unarmour(FILE), **change}
    with pytest.raises(premiumlic.InvalidLicense):
        premiumlic.verify(rearmour(envelope), KEYS)


def test_the_time_window_allows_five_minutes_of_clock_skew():
    payload = premiumlic.verify(FILE, KEYS)
    premiumlic.check_window(payload, now=ISSUED)
    premiumlic.check_window(payload, now=ISSUED - 299)
    premiumlic.check_window(payload, now=payload["exp"] + 299)
    with pytest.raises(premiumlic.OutsideWindow) as early:
        premiumlic.check_window(payload, now=ISSUED - 301)
    assert early.value.expired is False
    with pytest.raises(premiumlic.OutsideWindow) as late:
        premiumlic.check_window(payload, now=payload["exp"] + 300)
    assert late.value.expired is True


@pytest.mark.parametrize(
    "overrides",
    [
        {"sources": []},
        {"sources": ["COSMIC", "dbSNP"]},
        {"method": "portal_api_key"},
        {"license_id": "not-a-uuid"},
        {"license_ends_at": ISSUED},
    ],
)
def test_an_invalid_payload_is_never_signed(overrides):
    with pytest.raises(ValueError):
        body(**overrides)


def test_keys_round_trip_through_pem_with_a_stable_thumbprint_kid():
    again = premiumlic.key_from_pem(premiumlic.key_to_pem(KEY))
    assert again.kid == KEY.kid and premiumlic.verify(premiumlic.sign(body(), again), KEYS)
    assert premiumlic.new_signing_key().kid != KEY.kid


def test_the_same_envelope_written_differently_fails():
    """A verifier that decoded leniently would accept these; every byte of the file counts."""
    envelope = unarmour(FILE)
    encoded = base64.b64encode(premiumlic._envelope_bytes(envelope)).decode()
    rewrapped = "\n".join(
        [premiumlic.BEGIN, *(encoded[i : i + 76] for i in range(0, len(encoded), 76)), premiumlic.END]
    )
    spaced = json.dumps(envelope, separators=(", ", ": ")).encode()
    reordered = json.dumps(dict(reversed(list(envelope.items()))), separators=(",", ":")).encode()
    for text in (rewrapped + "\n", premiumlic._armour(spaced), premiumlic._armour(reordered)):
        with pytest.raises(premiumlic.InvalidLicense, match="canonical"):
            premiumlic.verify(text, KEYS)


def test_a_signature_with_its_unused_low_bits_set_fails():
    envelope = unarmour(FILE)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(envelope["sig"][-1])  # 64 bytes: the last character carries 2 bits, 4 unused
    envelope["sig"] = envelope["sig"][:-1] + alphabet[last | 0b0101]
    assert base64.urlsafe_b64decode(envelope["sig"] + "==") == base64.urlsafe_b64decode(
        unarmour(FILE)["sig"] + "=="
    )
    with pytest.raises(premiumlic.InvalidLicense, match="canonical"):
        premiumlic.verify(rearmour(envelope), KEYS)


def test_the_published_jwks_and_a_pem_give_the_keys_that_verify():
    document = premiumlic.jwks([KEY.public_key, premiumlic.new_signing_key().public_key])
    keys = premiumlic.public_keys(document)
    assert len(keys) == 2 and premiumlic.verify(FILE, keys)["typ"] == "premium.lic"
    pem = KEY.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert premiumlic.verify(FILE, {KEY.kid: premiumlic.public_key_from_pem(pem)})


def test_a_jwks_key_under_another_keys_kid_or_not_ed25519_is_refused():
    other = premiumlic.new_signing_key()
    (jwk,) = premiumlic.jwks([other.public_key])["keys"]
    with pytest.raises(ValueError, match="thumbprint"):
        premiumlic.public_keys({"keys": [{**jwk, "kid": KEY.kid}]})  # would pass for KEY's files
    with pytest.raises(ValueError, match="not a valid"):
        premiumlic.public_keys({"keys": [{**jwk, "x": "AAAA"}]})
    with pytest.raises(ValueError, match="JWKS"):
        premiumlic.public_keys([jwk])
    assert premiumlic.public_keys({"keys": [tokens.public_jwk(tokens.new_signing_key().public_key)]}) == {}
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError, match="Ed25519"):
        premiumlic.public_key_from_pem(ec_pem)
