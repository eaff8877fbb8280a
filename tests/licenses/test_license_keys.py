"""The premium license keyring: its own Ed25519 keys, published for tools, rotated without
breaking files already in the field; a license file is no credential for the REST API."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command
from django.test import Client

import premiumlic
from apikeys import keyring as jwt_keyring
from licenses import keyring
from tests.helpers import license_payload as body

DAY = 86400


def published(host: str = "localhost") -> dict:
    response = Client(HTTP_HOST=host).get("/.well-known/premium-license-keys.json")
    assert response.status_code == 200
    assert "max-age=300" in response["Cache-Control"]
    return response.json()


def test_the_published_keys_verify_a_file_the_portal_signs(own_keyring, db):
    text = keyring.current().sign(body())
    (jwk,) = published()["keys"]
    assert set(jwk) == {"kty", "crv", "x", "kid", "use", "alg"}  # public parts only
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
    public_key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "="))
    assert premiumlic.verify(text, {jwk["kid"]: public_key})["typ"] == "premium.lic"


def test_the_keys_are_published_on_a_tenants_host_and_ours(own_keyring, tenant_a):
    assert published("acme.localhost")["keys"] == published()["keys"]  # a tenant's and ours


def test_the_license_key_is_never_the_jwt_key(own_keyring, db):
    license_kids = {k["kid"] for k in published()["keys"]}
    jwt_kids = {k["kid"] for k in Client(HTTP_HOST="localhost").get("/.well-known/jwks.json").json()["keys"]}
    assert license_kids and jwt_kids and not license_kids & jwt_kids
    with pytest.raises(premiumlic.InvalidLicense):
        premiumlic.verify(keyring.current().sign(body()), jwt_keyring.current().verifying)


def test_rotation_signs_with_a_new_key_and_keeps_old_files_verifying_for_90_days(own_keyring, db):
    old_file = keyring.current().sign(body())
    old_kid = keyring.current().signing.kid
    out = call_command_output("rotate_license_key")
    new = keyring.current()
    assert new.signing.kid != old_kid and new.signing.kid in out
    assert {k["kid"] for k in published()["keys"]} == {old_kid, new.signing.kid}
    assert new.verify(old_file)["typ"] == "premium.lic"
    document = json.loads(own_keyring.read_text())
    retired_at = next(e["retired_at"] for e in document["keys"] if e["retired_at"])
    _, dropped = keyring.rotate(now=retired_at + 90 * DAY)  # a file it signed may still be valid
    assert dropped == []
    _, dropped = keyring.rotate(now=retired_at + 90 * DAY + premiumlic.CLOCK_SKEW + 1)
    assert dropped == [old_kid]
    with pytest.raises(premiumlic.UnknownKey, match="unknown signing key"):
        keyring.current().verify(old_file)


def test_the_keyring_file_is_readable_by_its_owner_only(own_keyring):
    keyring.current()
    assert own_keyring.stat().st_mode & 0o077 == 0


def test_keys_given_inline_cannot_be_rotated_here(settings, own_keyring):
    document = {
        "keys": [{"private_key": premiumlic.key_to_pem(premiumlic.new_signing_key()), "retired_at": None}]
    }
    settings.PORTAL_LICENSE_KEYS = json.dumps(document)
    keyring.forget()
    assert keyring.current().signing
    with pytest.raises(CommandError, match="PORTAL_LICENSE_KEYS"):
        call_command("rotate_license_key")


def test_a_jwt_key_given_as_a_license_key_is_refused(settings, own_keyring):
    from django.core.exceptions import ImproperlyConfigured

    from apikeys import tokens

    settings.PORTAL_LICENSE_KEYS = json.dumps(
        {"keys": [{"private_key": tokens.key_to_pem(tokens.new_signing_key())}]}
    )
    keyring.forget()
    with pytest.raises((ValueError, ImproperlyConfigured), match="Ed25519"):
        keyring.current()


@pytest.mark.parametrize("part", ["file", "envelope", "enc", "sig"])
def test_a_license_file_is_no_credential_for_the_api(own_keyring, alice, part):
    text = keyring.current().sign(body())
    envelope = json.loads(base64.b64decode("".join(text.splitlines()[1:-1])))
    presented = {
        "file": base64.b64encode(text.encode()).decode(),
        "envelope": f"{envelope['enc']}.{envelope['sig']}",
        "enc": envelope["enc"],
        "sig": envelope["sig"],
    }[part]
    client = Client(HTTP_HOST="acme.localhost")
    for headers in ({"HTTP_AUTHORIZATION": f"Bearer {presented}"}, {"HTTP_X_API_KEY": presented}):
        assert client.get("/api/me", **headers).status_code == 401
    assert client.post("/api/tokens", HTTP_X_API_KEY=presented).status_code == 401


def call_command_output(name: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(name, stdout=out)
    return out.getvalue()
