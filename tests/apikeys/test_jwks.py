"""The JWKS contract: any JOSE library verifies our tokens offline; rotation keeps old tokens valid."""

import json
import time

import jwt
import pytest
from django.core.management import call_command
from django.test import Client
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from apikeys import keyring, tokens
from tests.helpers import bearer, token


def jwks(host: str = "acme.localhost") -> dict:
    response = Client(HTTP_HOST=host).get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age=300" in response["Cache-Control"]
    return response.json()


def test_a_third_party_jose_library_verifies_a_minted_token_against_the_jwks(alice, tenant_a, alice_key):
    minted = token(alice_key[1])
    key_set = KeySet.import_key_set(jwks())
    verified = jose_jwt.decode(minted, key_set, algorithms=["ES256"])
    JWTClaimsRegistry(
        iss={"essential": True, "value": "http://portal.localhost"},
        aud={"essential": True, "value": "portal-api"},
        sub={"essential": True, "value": str(alice.pk)},
    ).validate(verified.claims)
    assert verified.header["kid"] in {k["kid"] for k in jwks()["keys"]}


def test_our_compact_serialisation_is_the_one_pyjwt_writes_and_verifies():
    key = tokens.new_signing_key()
    body = {
        "iss": "http://portal.localhost",
        "aud": "portal-api",
        "sub": "ü",
        "wgs": ["a", "b"],
        "exp": 2**40,
    }
    ours = tokens.encode(body, key)
    theirs = jwt.encode(body, key.private_key, algorithm="ES256", headers={"kid": key.kid})
    assert ours.split(".")[:2] == theirs.split(".")[:2]  # ECDSA signatures differ on every signing
    assert jwt.get_unverified_header(ours) == {"alg": "ES256", "kid": key.kid, "typ": "JWT"}
    assert jwt.decode(ours, key.public_key, algorithms=["ES256"], audience="portal-api") == body
    tampered = ours[:-4] + ("AAAA" if not ours.endswith("AAAA") else "BBBB")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tampered, key.public_key, algorithms=["ES256"], audience="portal-api")


def test_the_jwks_publishes_public_keys_only(tenant_a):
    for key in jwks()["keys"]:
        assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256" and key["use"] == "sig"
        assert "d" not in key


def test_the_jwks_is_served_on_a_host_that_is_no_tenants(db):
    assert jwks(host="localhost")["keys"]


def test_rotation_signs_with_a_new_key_and_keeps_the_old_one_verifying(
    own_keyring, alice, tenant_a, alice_key
):
    old_kid = keyring.current().signing.kid
    old_token = token(alice_key[1])
    call_command("rotate_signing_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    new_kid = keyring.current().signing.kid
    assert new_kid != old_kid
    assert {old_kid, new_kid} == {k["kid"] for k in jwks()["keys"]}
    assert bearer(old_token).get("/api/me").status_code == 200
    new_token = token(alice_key[1])
    assert json.loads(tokens.jwt.utils.base64url_decode(new_token.split(".")[0]))["kid"] == new_kid


def test_a_retired_key_is_dropped_once_its_tokens_have_expired(own_keyring):
    first = keyring.current().signing.kid
    keyring.rotate()
    second = keyring.current().signing.kid
    later = time.time() + keyring.RETIRED_KEY_GRACE + 60
    _, dropped = keyring.rotate(now=later)
    assert dropped == [first]
    assert first not in keyring.current().verifying and second in keyring.current().verifying


def test_the_keyring_file_is_readable_by_its_owner_only(own_keyring):
    keyring.current()
    assert own_keyring.stat().st_mode & 0o077 == 0


def test_keys_from_the_environment_cannot_be_rotated_here(settings, own_keyring):
    document = {"keys": [{"private_key": tokens.key_to_pem(tokens.new_signing_key()), "retired_at": None}]}
    settings.PORTAL_JWT_KEYS = json.dumps(document)
    keyring.forget()
    assert keyring.current().signing
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="PORTAL_JWT_KEYS"):
        call_command("rotate_signing_key")
