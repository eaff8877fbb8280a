"""`X-API-Key` on a call, as ICA's clients send it: the request acts as a token minted from the
key would, with the same scope, revocation, tenancy and networks, and a refused key is a 401."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Event, Membership
from apikeys import services as apikey_services
from tests.factories import WorkgroupFactory, WorkgroupMembershipFactory
from tests.helpers import actor, make_key


def keyed(key: str, host: str = "acme.localhost", ip: str = "127.0.0.1") -> Client:
    return Client(HTTP_HOST=host, HTTP_X_API_KEY=key, REMOTE_ADDR=ip)


def test_a_key_on_a_call_acts_as_its_owner(alice, tenant_a):
    _, key = make_key(alice, tenant_a)
    response = keyed(key).get("/api/me")
    assert response.status_code == 200
    assert (response.json()["email"], response.json()["tenant"]["id"]) == (alice.email, str(tenant_a.pk))


def test_a_key_sees_only_the_workgroups_of_its_scope(alice, tenant_a):
    sequencing = WorkgroupFactory(tenant=tenant_a, name="Sequencing")
    imaging = WorkgroupFactory(tenant=tenant_a, name="Imaging")
    for group in (sequencing, imaging):
        WorkgroupMembershipFactory(workgroup=group, user=alice)
    _, key = make_key(alice, tenant_a, workgroups=[sequencing])
    assert [wg["name"] for wg in keyed(key).get("/api/me").json()["workgroups"]] == ["Sequencing"]
    listed = keyed(key).get("/api/workgroups").json()["results"]
    assert [wg["name"] for wg in listed] == ["Sequencing"]


def test_a_key_limited_to_one_workgroup_cannot_make_a_key_for_all(alice, tenant_a):
    sequencing = WorkgroupFactory(tenant=tenant_a, name="Sequencing")
    WorkgroupMembershipFactory(workgroup=sequencing, user=alice)
    _, key = make_key(alice, tenant_a, workgroups=[sequencing])
    response = keyed(key).post("/api/apikeys", json.dumps({"name": "wider"}), content_type="application/json")
    assert response.status_code in (400, 403)
    assert "wider" not in [k.name for k in alice.apikeys.all()]


def test_revoking_the_key_refuses_its_next_call(alice, tenant_a):
    apikey, key = make_key(alice, tenant_a)
    assert keyed(key).get("/api/me").status_code == 200
    apikey_services.apikey_revoke(apikey=apikey, by=actor(alice, tenant_a))
    refused = keyed(key).get("/api/me")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"


def test_deactivating_the_owner_refuses_the_key_at_once(alice, bob, tenant_a):
    from accounts.services import member_update

    _, key = make_key(bob, tenant_a)
    assert keyed(key).get("/api/me").status_code == 200
    membership = Membership.objects.get(user=bob, tenant=tenant_a)
    member_update(membership=membership, by=actor(alice, tenant_a), is_active=False)
    assert keyed(key).get("/api/me").status_code == 401


@pytest.mark.parametrize("given", ["pak_not-a-key", "pak_" + "A" * 38, "nonsense"])
def test_a_malformed_or_unknown_key_is_the_same_401(alice, tenant_a, given):
    response = keyed(given).get("/api/me")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["detail"] == "Invalid credentials."


def test_an_unknown_key_that_looks_right_gets_the_answer_a_revoked_one_gets(alice, tenant_a):
    apikey, key = make_key(alice, tenant_a)
    apikey_services.apikey_revoke(apikey=apikey, by=actor(alice, tenant_a))
    _, other = make_key(alice, tenant_a)
    guess = other[:-10] + ("0" if other[-10] != "0" else "1") + other[-9:]
    revoked, unknown = keyed(key).get("/api/me"), keyed(guess).get("/api/me")
    assert (revoked.status_code, revoked.json()) == (unknown.status_code, unknown.json())


def test_another_tenants_key_is_refused_on_this_tenants_host(charlie, tenant_b, tenant_a):
    _, key = make_key(charlie, tenant_b)
    assert keyed(key, host="globex.localhost").get("/api/me").status_code == 200
    assert keyed(key, host="acme.localhost").get("/api/me").status_code == 401


def test_another_tenants_user_is_a_404_through_a_key(alice, tenant_a, charlie):
    _, key = make_key(alice, tenant_a)
    assert keyed(key).get(f"/api/users/{charlie.pk}").status_code == 404


def test_on_an_operator_host_the_key_picks_its_tenant(charlie, tenant_b):
    _, key = make_key(charlie, tenant_b)
    response = keyed(key, host="testserver").get("/api/me")
    assert response.status_code == 200
    assert response.json()["tenant"]["id"] == str(tenant_b.pk)


def test_a_key_bound_to_networks_is_refused_outside_them(bob, tenant_a):
    _, key = make_key(bob, tenant_a, allowed_networks=["192.0.2.0/24"])
    assert keyed(key, ip="192.0.2.7").get("/api/me").status_code == 200
    refused = keyed(key, ip="198.51.100.20").get("/api/me")
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        403,
        "network_refused",
        "apikey",
    )
    event = Event.objects.get(tenant=tenant_a, action="access.refused")
    assert event.ip == "198.51.100.20"


def test_the_tenants_api_networks_hold_for_a_key_on_an_operator_host(charlie, tenant_b):
    tenant_b.allowed_networks, tenant_b.networks_for_api = ["192.0.2.0/24"], True
    tenant_b.save()
    _, key = make_key(charlie, tenant_b)
    assert keyed(key, host="testserver", ip="192.0.2.7").get("/api/me").status_code == 200
    assert keyed(key, host="testserver", ip="198.51.100.20").get("/api/me").status_code == 403


def test_refused_keys_count_as_failed_exchanges_and_are_throttled(settings, alice, tenant_a):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "tokens-failures-ip": "3/h"}
    _, good = make_key(alice, tenant_a)
    statuses = [keyed("pak_" + "B" * 38, ip="203.0.113.9").get("/api/me").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    assert keyed("pak_" + "B" * 38, ip="203.0.113.10").get("/api/me").status_code == 401
    # as at the token endpoint: past the limit the right key is refused too (attacker review)
    assert keyed(good, ip="203.0.113.9").get("/api/me").status_code == 429
    assert keyed(good, ip="203.0.113.11").get("/api/me").status_code == 200


def test_a_known_key_on_a_call_makes_no_query(alice, tenant_a, usage_in_memory):
    WorkgroupMembershipFactory(workgroup=WorkgroupFactory(tenant=tenant_a, name="Sequencing"), user=alice)
    _, key = make_key(alice, tenant_a)
    client = keyed(key)
    client.get("/api/me")  # warms the digest's owner, the snapshot and the host lookup
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/me")
    assert response.status_code == 200
    assert [wg["name"] for wg in response.json()["workgroups"]] == ["Sequencing"]
    assert queries.captured_queries == []


def test_the_token_endpoint_still_exchanges_the_key(alice, tenant_a):
    _, key = make_key(alice, tenant_a)
    response = keyed(key).post("/api/tokens")
    assert response.status_code == 200 and response.json()["token"]
