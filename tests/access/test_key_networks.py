"""An API key bound to networks (as Cloudflare's API tokens can be): its exchange and every Bearer
call with a token minted from it check the caller's address, a token minted inside is no good
outside, and a bound key cannot make a key that reaches further."""

import json

import pytest
from django.test import Client

from accounts.models import Event
from apikeys import services as apikey_services
from tests.helpers import FETCH, actor, make_key

INSIDE, OUTSIDE = "192.0.2.7", "198.51.100.20"
LAB = ["192.0.2.0/24"]


def at(ip: str, host: str = "acme.localhost", **headers) -> Client:
    return Client(HTTP_HOST=host, REMOTE_ADDR=ip, **headers)


def minted(key: str, ip: str = INSIDE, host: str = "acme.localhost") -> str:
    response = at(ip, host, HTTP_X_API_KEY=key).post("/api/tokens")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def call(token: str, ip: str, method: str = "get", path: str = "/api/me", **kwargs):
    return getattr(at(ip, HTTP_AUTHORIZATION=f"Bearer {token}"), method)(
        path, content_type="application/json", **kwargs
    )


def test_a_bound_key_is_exchanged_inside_and_refused_outside_naming_its_rule(tenant_a, bob):
    apikey, key = make_key(bob, tenant_a, allowed_networks=LAB)
    refused = at(OUTSIDE, HTTP_X_API_KEY=key).post("/api/tokens")
    assert (refused.status_code, refused.json()["rule"], refused.json()["address"]) == (
        403,
        "apikey",
        OUTSIDE,
    )
    assert "192.0.2" not in refused.content.decode()
    event = Event.objects.get(tenant=tenant_a, action="access.refused")
    assert (event.ip, event.data["rule"]) == (OUTSIDE, "apikey")
    assert call(minted(key), INSIDE).status_code == 200
    apikey.refresh_from_db()
    assert apikey.last_used_ip == INSIDE  # the refused use was not recorded as a use


def test_a_token_minted_inside_is_refused_outside_on_every_call(tenant_a, bob):
    _, key = make_key(bob, tenant_a, allowed_networks=LAB)
    token = minted(key)
    assert call(token, OUTSIDE).status_code == 403
    assert call(token, OUTSIDE, "post", "/api/apikeys", data={"name": "escape"}).status_code == 403
    assert call(token, "192.0.2.200").status_code == 200


def test_binding_a_key_later_binds_its_live_tokens_at_once(tenant_a, bob):
    apikey, key = make_key(bob, tenant_a)
    token = minted(key, ip=OUTSIDE)
    assert call(token, OUTSIDE).status_code == 200
    apikey_services.apikey_update(apikey=apikey, by=actor(bob, tenant_a), allowed_networks=LAB)
    assert call(token, OUTSIDE).status_code == 403
    apikey_services.apikey_update(apikey=apikey, by=actor(bob, tenant_a), allowed_networks=[])
    assert call(token, OUTSIDE).status_code == 200


def test_a_bound_keys_token_cannot_make_a_key_that_reaches_further(tenant_a, bob):
    _, key = make_key(bob, tenant_a, allowed_networks=LAB)
    token = minted(key)
    unbound = call(token, INSIDE, "post", "/api/apikeys", data={"name": "anywhere"})
    wider = call(
        token, INSIDE, "post", "/api/apikeys", data={"name": "wider", "allowed_networks": ["192.0.0.0/16"]}
    )
    assert (unbound.status_code, wider.status_code) == (403, 403)
    narrower = call(
        token, INSIDE, "post", "/api/apikeys", data={"name": "one host", "allowed_networks": ["192.0.2.9"]}
    )
    assert narrower.status_code == 201 and narrower.json()["allowed_networks"] == ["192.0.2.9/32"]
    own = narrower.json()["id"]
    loosened = call(token, INSIDE, "patch", f"/api/apikeys/{own}", data={"allowed_networks": []})
    assert loosened.status_code == 403


def test_a_regenerated_key_keeps_its_networks(tenant_a, bob):
    apikey, _ = make_key(bob, tenant_a, allowed_networks=LAB)
    new, key = apikey_services.apikey_regenerate(apikey=apikey, by=actor(bob, tenant_a))
    assert new.allowed_networks == LAB
    assert at(OUTSIDE, HTTP_X_API_KEY=key).post("/api/tokens").status_code == 403


def test_a_bound_key_is_checked_on_an_operator_host_and_at_the_tools_endpoint(tenant_a, bob):
    _, key = make_key(bob, tenant_a, allowed_networks=LAB)
    assert at(OUTSIDE, host="localhost", HTTP_X_API_KEY=key).post("/api/tokens").status_code == 403
    token = minted(key, host="localhost")
    assert (
        at(OUTSIDE, host="localhost", HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/me").status_code == 403
    )
    fetched = at(OUTSIDE).post(FETCH, json.dumps({"MyIlluminaApiKey": key}), content_type="application/json")
    assert (fetched.status_code, fetched.json()["code"]) == (403, "NETWORK_REFUSED")


@pytest.mark.parametrize("given", [["10.0.0.0/33"], ["lab"], [f"10.0.{n}.0/24" for n in range(101)]])
def test_a_key_with_networks_that_are_not_networks_is_refused(tenant_a, bob, given):
    token = minted(make_key(bob, tenant_a)[1])
    response = call(token, INSIDE, "post", "/api/apikeys", data={"name": "x", "allowed_networks": given})
    assert response.status_code == 400


def test_the_keys_page_binds_a_key_and_shows_where_it_works(as_bob, tenant_a, bob):
    as_bob.post(
        "/apikeys/",
        {
            "name": "lab box",
            "scope": "all",
            "expires_in": "30",
            "allowed_networks": "192.0.2.0/24\n2001:db8::/48",
        },
    )
    apikey = bob.apikeys.get(name="lab box")
    assert apikey.allowed_networks == ["192.0.2.0/24", "2001:db8::/48"]
    assert "from 192.0.2.0/24, 2001:db8::/48" in as_bob.get("/apikeys/").content.decode()
    as_bob.post(f"/apikeys/{apikey.pk}/rename", {"name": "lab box", "allowed_networks": ""})
    apikey.refresh_from_db()
    assert apikey.allowed_networks == []
    bad = as_bob.post(
        "/apikeys/", {"name": "x", "scope": "all", "expires_in": "30", "allowed_networks": "the lab"}
    )
    assert bad.status_code == 400 and "is not an IPv4 or IPv6" in bad.content.decode()
