"""Bearer access: a negative JWT corpus, each answered 401, and every way a live token must die."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Role, User
from accounts.services import Actor, member_remove, member_update, workgroup_member_remove
from apikeys import keyring, services, tokens
from tests.factories import WorkgroupFactory, WorkgroupMembershipFactory
from tests.helpers import bearer, make_key, token


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(header: dict, payload: dict) -> str:
    return b64(json.dumps(header).encode()) + "." + b64(json.dumps(payload).encode())


def good_claims(user, tenant, **changes) -> dict:
    now = int(time.time())
    body = tokens.claims(
        issuer="http://portal.localhost",
        user_id=str(user.pk),
        tenant_id=str(tenant.pk),
        workgroup_ids=[],
        amr=tokens.AMR_PASSWORD,
        now=now,
        expires_at=now + 600,
    )
    body.update(changes)
    return body


def signed(body: dict, key=None, **header) -> str:
    import jwt

    key = key or keyring.current().signing
    return jwt.encode(body, key.private_key, algorithm="ES256", headers={"kid": key.kid, **header})


def assert_refused(token_text: str, host: str = "acme.localhost") -> None:
    response = bearer(token_text, host).get("/api/me")
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "invalid_token"
    assert response["WWW-Authenticate"] == 'Bearer realm="portal"'


def test_a_well_formed_token_is_accepted(alice, tenant_a):
    """The control for the corpus below: the same construction, unmodified, works."""
    assert bearer(signed(good_claims(alice, tenant_a))).get("/api/me").status_code == 200


def test_alg_none_is_refused(alice, tenant_a):
    kid = keyring.current().signing.kid
    assert_refused(segments({"alg": "none", "typ": "JWT", "kid": kid}, good_claims(alice, tenant_a)) + ".")


def test_hs256_signed_with_the_public_key_is_refused(alice, tenant_a):
    public_pem = keyring.current().signing.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kid = keyring.current().signing.kid
    head_body = segments({"alg": "HS256", "typ": "JWT", "kid": kid}, good_claims(alice, tenant_a))
    signature = hmac.new(public_pem, head_body.encode(), hashlib.sha256).digest()
    assert_refused(f"{head_body}.{b64(signature)}")


def test_a_tampered_payload_is_refused(alice, bob, tenant_a):
    header, _, signature = signed(good_claims(bob, tenant_a)).split(".")
    forged = b64(json.dumps(good_claims(alice, tenant_a)).encode())
    assert_refused(f"{header}.{forged}.{signature}")


def test_a_tampered_signature_is_refused(alice, tenant_a):
    header, payload, signature = signed(good_claims(alice, tenant_a)).split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert_refused(f"{header}.{payload}.{flipped}")


def test_a_token_expired_by_one_second_is_refused(alice, tenant_a):
    now = int(time.time())
    assert_refused(signed(good_claims(alice, tenant_a, iat=now - 60, nbf=now - 60, exp=now - 1)))


def test_a_token_not_yet_valid_is_refused(alice, tenant_a):
    assert_refused(signed(good_claims(alice, tenant_a, nbf=int(time.time()) + 60)))


def test_a_wrong_audience_is_refused(alice, tenant_a):
    assert_refused(signed(good_claims(alice, tenant_a, aud="another-api")))


def test_a_wrong_issuer_is_refused(alice, tenant_a):
    assert_refused(signed(good_claims(alice, tenant_a, iss="https://evil.example")))


def test_an_unknown_kid_is_refused(alice, tenant_a):
    assert_refused(signed(good_claims(alice, tenant_a), key=tokens.new_signing_key()))


@pytest.mark.parametrize("header", ["jku", "x5u", "jwk"])
def test_a_header_pointing_at_another_key_is_refused(alice, tenant_a, header):
    attacker = tokens.new_signing_key()
    value = (
        {**tokens.public_jwk(attacker.public_key), "kid": attacker.kid}
        if header == "jwk"
        else "https://evil.example/jwks.json"
    )
    assert_refused(signed(good_claims(alice, tenant_a), key=attacker, **{header: value}))
    # Even signed by our own key, a token carrying such a header is refused: it is an attack.
    assert_refused(signed(good_claims(alice, tenant_a), **{header: value}))


def test_a_missing_claim_is_refused(alice, tenant_a):
    body = good_claims(alice, tenant_a)
    del body["jti"]
    assert_refused(signed(body))


def test_another_tenants_token_is_refused_on_this_tenants_host(charlie, tenant_b, tenant_a):
    charlies = token(make_key(charlie, tenant_b)[1], host="globex.localhost")
    assert bearer(charlies, "globex.localhost").get("/api/me").status_code == 200
    assert_refused(charlies, host="acme.localhost")


def test_revoking_a_key_kills_its_tokens_on_the_very_next_request(alice, tenant_a, alice_key):
    apikey, text = alice_key
    client = bearer(token(text))
    assert client.get("/api/me").status_code == 200
    services.apikey_revoke(apikey=apikey, by=Actor(user=alice))
    assert client.get("/api/me").status_code == 401


def test_a_regenerated_keys_old_tokens_die_when_the_overlap_is_none(alice, tenant_a, alice_key):
    apikey, text = alice_key
    old_client = bearer(token(text))
    membership = Membership.objects.get(user=alice, tenant=tenant_a)
    _new, new_text = services.apikey_regenerate(
        apikey=apikey, by=Actor(user=alice, membership=membership), overlap="none"
    )
    assert old_client.get("/api/me").status_code == 401
    assert bearer(token(new_text)).get("/api/me").status_code == 200


def test_a_deactivated_users_token_is_refused(alice, bob, tenant_a, bob_key):
    client = bearer(token(bob_key[1]))
    user = User.objects.get(pk=bob.pk)
    user.is_active = False
    user.save()
    assert client.get("/api/me").status_code == 401


def test_a_member_deactivated_in_the_tenant_loses_access(alice, bob, tenant_a, bob_key):
    client = bearer(token(bob_key[1]))
    membership = Membership.objects.get(user=bob, tenant=tenant_a)
    admin = Actor(user=alice, membership=Membership.objects.get(user=alice, tenant=tenant_a))
    member_update(membership=membership, by=admin, is_active=False)
    assert client.get("/api/me").status_code == 401


def test_a_member_removed_from_the_tenant_loses_access(alice, bob, tenant_a, bob_key):
    client = bearer(token(bob_key[1]))
    admin = Actor(user=alice, membership=Membership.objects.get(user=alice, tenant=tenant_a))
    member_remove(membership=Membership.objects.get(user=bob, tenant=tenant_a), by=admin)
    assert client.get("/api/me").status_code == 401


def test_changing_the_password_kills_tokens_issued_before(alice, tenant_a, alice_key):
    client = bearer(token(alice_key[1]))
    user = User.objects.get(pk=alice.pk)
    user.set_password("a-brand-new-passphrase")
    user.save()
    assert client.get("/api/me").status_code == 401


def test_the_authenticated_path_makes_no_query_at_all(alice, tenant_a, alice_key, usage_in_memory):
    WorkgroupMembershipFactory(workgroup=WorkgroupFactory(tenant=tenant_a, name="Sequencing"), user=alice)
    client = bearer(token(alice_key[1]))
    client.get("/api/me")  # warms the snapshot, the host lookup and the keyring
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/me")
    assert response.status_code == 200
    assert [wg["name"] for wg in response.json()["workgroups"]] == ["Sequencing"]
    assert queries.captured_queries == []


def test_renaming_a_workgroup_shows_in_live_tokens_at_once(alice, tenant_a, alice_key):
    from accounts.services import workgroup_rename

    group = WorkgroupFactory(tenant=tenant_a, name="Sequencing")
    WorkgroupMembershipFactory(workgroup=group, user=alice)
    client = bearer(token(alice_key[1]))
    assert [wg["name"] for wg in client.get("/api/me").json()["workgroups"]] == ["Sequencing"]
    admin = Actor(user=alice, membership=Membership.objects.get(user=alice, tenant=tenant_a))
    workgroup_rename(workgroup=group, name="Long reads", by=admin)
    assert [wg["name"] for wg in client.get("/api/me").json()["workgroups"]] == ["Long reads"]


def test_a_remembered_token_is_refused_once_it_expires(alice, tenant_a):
    body = good_claims(alice, tenant_a)
    verified = tokens.VerifiedTokens(keyring.current().verifying)
    text = signed(body)
    assert verified.decode(text, issuer=body["iss"])["sub"] == str(alice.pk)  # verified, remembered
    assert verified.decode(text, issuer=body["iss"], now=body["exp"] - 1)["sub"] == str(alice.pk)
    with pytest.raises(tokens.InvalidToken, match="Expired"):
        verified.decode(text, issuer=body["iss"], now=body["exp"])
    with pytest.raises(tokens.InvalidToken, match="not yet valid"):
        verified.decode(text, issuer=body["iss"], now=body["nbf"] - 1)


def test_a_remembered_token_counts_for_its_issuer_only(alice, tenant_a):
    body = good_claims(alice, tenant_a)
    verified = tokens.VerifiedTokens(keyring.current().verifying)
    text = signed(body)
    verified.decode(text, issuer=body["iss"])
    with pytest.raises(tokens.InvalidToken, match="Issuer"):
        verified.decode(text, issuer="https://elsewhere.example")


def test_a_token_is_not_remembered_under_keys_that_did_not_sign_it(alice, tenant_a):
    body = good_claims(alice, tenant_a)
    text = signed(body)
    tokens.VerifiedTokens(keyring.current().verifying).decode(text, issuer=body["iss"])
    stranger = tokens.new_signing_key()
    with pytest.raises(tokens.InvalidToken, match="unknown kid"):
        tokens.VerifiedTokens({stranger.kid: stranger.public_key}).decode(text, issuer=body["iss"])


def test_a_token_reaches_only_the_workgroups_of_its_keys_scope(alice, bob, tenant_a):
    x, y = WorkgroupFactory(tenant=tenant_a, name="X"), WorkgroupFactory(tenant=tenant_a, name="Y")
    for wg in (x, y):
        WorkgroupMembershipFactory(workgroup=wg, user=bob, role=Role.ADMIN)
    _, text = make_key(bob, tenant_a, workgroups=[y])
    client = bearer(token(text))
    assert [wg["name"] for wg in client.get("/api/workgroups").json()["results"]] == ["Y"]
    assert client.get(f"/api/workgroups/{x.pk}/members").status_code == 404
    assert client.post(f"/api/workgroups/{x.pk}/members", {"user_id": str(alice.pk)}).status_code == 404
    assert client.get(f"/api/workgroups/{y.pk}/members").status_code == 200
    assert [wg["name"] for wg in client.get("/api/me").json()["workgroups"]] == ["Y"]


def test_a_token_renames_and_regenerates_its_owners_keys_and_no_one_elses(alice, bob, tenant_a):
    key, text = make_key(alice, tenant_a, name="ci")
    client = bearer(token(text))
    json_ = "application/json"
    assert (
        client.patch(f"/api/apikeys/{key.pk}", {"name": "ci-2"}, content_type=json_).json()["name"] == "ci-2"
    )
    regenerated = client.post(f"/api/apikeys/{key.pk}:regenerate", {"overlap": "1h"}, content_type=json_)
    assert regenerated.status_code == 201 and regenerated.json()["name"] == "ci-2"
    bobs, _ = make_key(bob, tenant_a)
    assert client.post(f"/api/apikeys/{bobs.pk}:regenerate", {}, content_type=json_).status_code == 404


def test_a_tenant_admins_token_manages_every_workgroup_its_key_allows(alice, bob, tenant_a):
    """Creating, deleting and staffing workgroups is tenant-wide power: an admin's token is not
    limited to the workgroups she belongs to, only by her key's scope."""
    x, y = WorkgroupFactory(tenant=tenant_a, name="X"), WorkgroupFactory(tenant=tenant_a, name="Y")
    client = bearer(token(make_key(alice, tenant_a)[1]))  # Alice is in neither
    created = client.post("/api/workgroups", {"name": "Z"}, content_type="application/json").json()
    assert [wg["name"] for wg in client.get("/api/workgroups").json()["results"]] == ["X", "Y", "Z"]
    add = {"user_id": str(bob.pk)}
    assert (
        client.post(
            f"/api/workgroups/{created['id']}/members", add, content_type="application/json"
        ).status_code
        == 201
    )
    assert client.delete(f"/api/workgroups/{x.pk}").status_code == 204
    assert client.get("/api/me").json()["workgroups"] == []  # still in none herself

    WorkgroupMembershipFactory(workgroup=y, user=alice)  # a key is scoped to workgroups one is in
    narrow = bearer(token(make_key(alice, tenant_a, name="y-only", workgroups=[y])[1]))
    assert [wg["name"] for wg in narrow.get("/api/workgroups").json()["results"]] == ["Y"]
    assert narrow.get(f"/api/workgroups/{created['id']}/members").status_code == 404

    admin = Actor(user=alice, membership=Membership.objects.get(user=alice, tenant=tenant_a))
    bob_admin = Membership.objects.get(user=bob, tenant=tenant_a)
    member_update(membership=bob_admin, by=admin, role=Role.ADMIN)
    bobs = bearer(token(make_key(bob, tenant_a)[1]))
    assert bobs.get(f"/api/workgroups/{y.pk}/members").status_code == 200
    member_update(membership=bob_admin, by=admin, role=Role.MEMBER)  # demoted: his own workgroups only
    assert bobs.get(f"/api/workgroups/{y.pk}/members").status_code == 404
    assert bobs.get(f"/api/workgroups/{created['id']}/members").status_code == 200


def test_leaving_a_workgroup_narrows_live_tokens_at_once(alice, bob, tenant_a):
    y = WorkgroupFactory(tenant=tenant_a, name="Y")
    wgm = WorkgroupMembershipFactory(workgroup=y, user=bob)
    client = bearer(token(make_key(bob, tenant_a)[1]))
    assert client.get(f"/api/workgroups/{y.pk}/members").status_code == 200
    admin = Actor(user=alice, membership=Membership.objects.get(user=alice, tenant=tenant_a))
    workgroup_member_remove(wgm=wgm, by=admin)
    assert client.get(f"/api/workgroups/{y.pk}/members").status_code == 404


def test_a_scoped_key_cannot_mint_a_key_that_reaches_further(bob, tenant_a):
    x, y = WorkgroupFactory(tenant=tenant_a, name="X"), WorkgroupFactory(tenant=tenant_a, name="Y")
    for wg in (x, y):
        WorkgroupMembershipFactory(workgroup=wg, user=bob)
    client = bearer(token(make_key(bob, tenant_a, workgroups=[y])[1]))
    post = lambda scope: client.post(  # noqa: E731
        "/api/apikeys", {"name": "child", "workgroups": scope}, content_type="application/json"
    )
    assert post("all").status_code == 403
    assert post([str(x.pk)]).status_code == 403
    assert post([str(y.pk)]).status_code == 201


def test_a_key_rotated_in_by_another_process_is_trusted_on_its_first_token(
    alice, tenant_a, settings, tmp_path
):
    from apikeys.keyring import KIND, JwtKeys
    from core.keyrings import Keyring

    settings.PORTAL_JWT_KEYS, settings.PORTAL_JWT_KEYS_FILE = "", str(tmp_path / "jwt-keys.json")
    keyring.forget()
    ours = keyring.current()
    elsewhere = Keyring(KIND, lambda signing, verifying: JwtKeys(signing=signing, verifying=verifying))
    elsewhere.rotate()  # another process, the same file
    token_text = signed(good_claims(alice, tenant_a), key=elsewhere.current().signing)
    assert keyring.current() is ours  # within its 2 s between re-checks: not re-read yet
    assert keyring.decode(token_text)["sub"] == str(alice.pk)  # an unknown kid re-checks at once
    with pytest.raises(tokens.UnknownKid):
        keyring.decode(signed(good_claims(alice, tenant_a), key=tokens.new_signing_key()))
