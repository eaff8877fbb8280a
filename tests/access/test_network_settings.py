"""Settings → Access and /api/tenant/networks: tenant admins only, a change that would lock its
maker out is refused (their address shown), and a preview tells what a list would have refused
in the last 7 days, from real sign-ins and key exchanges."""

import pytest
from django.test import Client

from accounts.models import Event
from tests.factories import PASSWORD
from tests.helpers import make_key

INSIDE, OUTSIDE = "192.0.2.7", "198.51.100.20"


def at(ip: str, host: str = "acme.localhost", **headers) -> Client:
    return Client(HTTP_HOST=host, REMOTE_ADDR=ip, **headers)


def signed_in_at(ip: str, email: str) -> Client:
    client = at(ip)
    client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert "_auth_user_id" in client.session
    return client


def bearer_at(ip: str, user, tenant) -> Client:
    _, key = make_key(user, tenant, name=f"admin {ip}")
    token = at(ip, tenant.domain, HTTP_X_API_KEY=key).post("/api/tokens").json()["token"]
    return at(ip, tenant.domain, HTTP_AUTHORIZATION=f"Bearer {token}")


def form(allowed: str, *areas: str, preview: bool = False) -> dict:
    return {
        "allowed_networks": allowed,
        **{f"for_{area}": "on" for area in areas},
        ("preview" if preview else "save"): "1",
        "form": "networks",
    }


def test_an_admin_saves_the_list_and_the_change_is_an_event(tenant_a, alice):
    page = signed_in_at(INSIDE, "alice@acme.test")
    assert f'<code id="your-address">{INSIDE}</code>' in page.get("/settings/access/").content.decode()
    saved = page.post("/settings/access/", form("192.0.2.0/24\n2001:db8::1", "pages", "tools"))
    assert saved.status_code == 302
    tenant_a.refresh_from_db()
    assert tenant_a.allowed_networks == ["192.0.2.0/24", "2001:db8::1/128"]
    assert (tenant_a.networks_for_pages, tenant_a.networks_for_api, tenant_a.networks_for_tools) == (
        True,
        False,
        True,
    )
    event = Event.objects.get(tenant=tenant_a, action="access.networks")
    assert (event.actor_email, event.ip, event.data["allowed_networks"]) == (
        "alice@acme.test",
        INSIDE,
        tenant_a.allowed_networks,
    )


def test_a_list_that_would_lock_out_its_maker_is_refused_showing_their_address(tenant_a, alice):
    api = bearer_at(OUTSIDE, alice, tenant_a)
    locked = api.patch(
        "/api/tenant/networks",
        {"allowed_networks": ["192.0.2.0/24"], "api": True},
        content_type="application/json",
    )
    assert (locked.status_code, locked.json()["code"]) == (400, "would_lock_out")
    assert OUTSIDE in locked.json()["detail"]
    page = signed_in_at(OUTSIDE, "alice@acme.test")
    refused = page.post("/settings/access/", form("192.0.2.0/24", "pages"))
    assert refused.status_code == 400 and f"your address ({OUTSIDE})" in refused.content.decode()
    tenant_a.refresh_from_db()
    assert tenant_a.allowed_networks == [] and not tenant_a.networks_for_pages
    assert page.post("/settings/access/", form("192.0.2.0/24", "api")).status_code == 302  # pages stay open
    assert page.get("/settings/access/").status_code == 200


def test_the_api_reads_and_changes_the_policy_and_only_what_is_given(tenant_a, alice):
    api = bearer_at(INSIDE, alice, tenant_a)
    changed = api.patch(
        "/api/tenant/networks",
        {"allowed_networks": ["192.0.2.1/24"], "api": True},
        content_type="application/json",
    )
    assert changed.json() == {
        "allowed_networks": ["192.0.2.0/24"],
        "pages": False,
        "api": True,
        "tools": False,
    }
    assert api.patch("/api/tenant/networks", {"tools": True}, content_type="application/json").json()[
        "allowed_networks"
    ] == ["192.0.2.0/24"]
    assert api.get("/api/tenant/networks").json()["tools"] is True
    empty = api.patch("/api/tenant/networks", {"allowed_networks": []}, content_type="application/json")
    assert (empty.status_code, empty.json()["code"]) == (400, "invalid_networks")
    bad = api.patch(
        "/api/tenant/networks",
        {"allowed_networks": ["10.0.0.0/8", "intranet"]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "intranet" in bad.content.decode()


def test_only_tenant_admins_and_only_their_own_tenant(tenant_a, tenant_b, alice, bob, charlie):
    assert signed_in_at(INSIDE, "bob@acme.test").get("/settings/access/").status_code == 403
    assert (
        bearer_at(INSIDE, bob, tenant_a)
        .patch("/api/tenant/networks", {"api": True}, content_type="application/json")
        .status_code
        == 403
    )
    charlie_api = bearer_at(INSIDE, charlie, tenant_b)
    token = charlie_api.defaults["HTTP_AUTHORIZATION"]
    assert (
        at(INSIDE, HTTP_AUTHORIZATION=token).get("/api/tenant/networks").status_code == 401
    )  # at Acme's host
    charlie_api.patch(
        "/api/tenant/networks",
        {"allowed_networks": ["10.0.0.0/8"], "pages": True},
        content_type="application/json",
    )
    tenant_a.refresh_from_db()
    assert tenant_a.allowed_networks == [] and not tenant_a.networks_for_pages


def test_the_preview_counts_the_last_weeks_sign_ins_and_key_exchanges_it_would_refuse(tenant_a, alice, bob):
    signed_in_at(INSIDE, "bob@acme.test")
    signed_in_at(OUTSIDE, "bob@acme.test")
    signed_in_at("2001:db8:9::1", "bob@acme.test")
    _, key = make_key(bob, tenant_a)
    for ip in [INSIDE, OUTSIDE, OUTSIDE]:
        assert at(ip, HTTP_X_API_KEY=key).post("/api/tokens").status_code == 200
    page = signed_in_at(INSIDE, "alice@acme.test")  # a fourth sign-in, from inside
    shown = page.post(
        "/settings/access/", form("192.0.2.0/24", "pages", "api", preview=True)
    ).content.decode()
    assert "refused <strong>2</strong> of 4 sign-ins and <strong>2</strong> of 3 API key exchanges" in shown
    assert f"<code>{OUTSIDE}</code></td><td>3</td>" in shown
    tenant_a.refresh_from_db()
    assert tenant_a.allowed_networks == []  # a preview changes nothing
    api = bearer_at(INSIDE, alice, tenant_a)  # an exchange from inside: 4 of them now
    preview = api.post(
        "/api/tenant/networks:preview",
        {"allowed_networks": ["192.0.2.0/24"], "pages": True},
        content_type="application/json",
    ).json()
    assert (preview["signins_refused"], preview["key_uses_refused"], preview["key_uses"]) == (2, 0, 4)
    assert sorted(preview["addresses"], key=str) == sorted(
        [{"address": OUTSIDE, "count": 1}, {"address": "2001:db8:9::1", "count": 1}], key=str
    )


@pytest.mark.parametrize("allowed", ["10.0.0.0/33", "intranet.example"])
def test_the_page_names_a_bad_entry(tenant_a, alice, allowed):
    page = signed_in_at(INSIDE, "alice@acme.test")
    refused = page.post("/settings/access/", form(f"192.0.2.0/24\n{allowed}", "pages"))
    assert refused.status_code == 400 and allowed in refused.content.decode()
