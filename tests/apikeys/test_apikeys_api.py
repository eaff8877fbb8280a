import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Event
from apikeys import keys
from apikeys.models import ApiKey
from tests.factories import WorkgroupFactory, WorkgroupMembershipFactory
from tests.helpers import exchange, make_key


def post_key(client, **body):
    body.setdefault("name", "nightly")
    return client.post("/api/apikeys", body, content_type="application/json")


def test_generating_a_key_shows_it_once_and_stores_only_its_digest(as_bob, bob):
    response = post_key(as_bob, name="nightly annotation")
    assert response.status_code == 201
    body = response.json()
    assert keys.is_well_formed(body["key"])
    assert body["prefix"] == body["key"][:8] and body["workgroups"] == "all"
    stored = ApiKey.objects.get(pk=body["id"])
    assert stored.digest == keys.digest(body["key"]) and body["key"] not in str(stored.__dict__)
    listed = as_bob.get("/api/apikeys").json()["results"]
    assert [k["id"] for k in listed] == [body["id"]]
    assert "key" not in listed[0] and "key" not in as_bob.get(f"/api/apikeys/{body['id']}").json()


def test_a_key_expires_at_the_tenants_maximum_lifetime_unless_sooner(as_bob, tenant_a):
    default = post_key(as_bob).json()
    lifetime = (
        ApiKey.objects.get(pk=default["id"]).expires_at - ApiKey.objects.get(pk=default["id"]).created_at
    )
    assert lifetime == timedelta(days=tenant_a.apikey_max_lifetime_days)
    soon = (timezone.now() + timedelta(days=30)).isoformat()
    assert post_key(as_bob, expires_at=soon).status_code == 201
    too_late = (timezone.now() + timedelta(days=tenant_a.apikey_max_lifetime_days + 2)).isoformat()
    response = post_key(as_bob, expires_at=too_late)
    assert response.status_code == 400 and response.json()["code"] == "invalid_expiry"
    past = (timezone.now() - timedelta(days=1)).isoformat()
    assert post_key(as_bob, expires_at=past).json()["code"] == "invalid_expiry"


def test_a_key_can_be_scoped_to_the_users_own_workgroups_only(as_bob, bob, tenant_a, tenant_b):
    mine, other = WorkgroupFactory(tenant=tenant_a), WorkgroupFactory(tenant=tenant_a)
    WorkgroupMembershipFactory(workgroup=mine, user=bob)
    foreign = WorkgroupFactory(tenant=tenant_b)
    assert post_key(as_bob, workgroups=[str(mine.pk)]).json()["workgroups"] == [str(mine.pk)]
    assert post_key(as_bob, workgroups=[str(other.pk)]).json()["code"] == "invalid_scope"
    assert post_key(as_bob, workgroups=[str(foreign.pk)]).status_code == 400
    assert post_key(as_bob, workgroups=[]).status_code == 400
    assert post_key(as_bob, workgroups="some").status_code == 400


def test_the_eleventh_key_is_refused_with_a_409(as_bob, bob, tenant_a):
    for n in range(10):
        assert post_key(as_bob, name=f"k{n}").status_code == 201
    response = post_key(as_bob, name="one too many")
    assert response.status_code == 409
    assert response.json()["code"] == "apikey_limit"
    assert "10 API keys that work" in response.json()["detail"]


def test_revoked_keys_free_a_slot(as_bob, bob, tenant_a, settings):
    settings.APIKEYS_MAX_PER_USER = 2
    first = post_key(as_bob).json()
    post_key(as_bob)
    assert post_key(as_bob).status_code == 409
    assert as_bob.delete(f"/api/apikeys/{first['id']}").status_code == 204
    assert post_key(as_bob).status_code == 201


def test_renaming_and_rescoping_a_key(as_bob, bob, tenant_a):
    wg = WorkgroupFactory(tenant=tenant_a)
    WorkgroupMembershipFactory(workgroup=wg, user=bob)
    key_id = post_key(as_bob).json()["id"]
    response = as_bob.patch(
        f"/api/apikeys/{key_id}",
        {"name": "renamed", "workgroups": [str(wg.pk)]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["name"] == "renamed" and response.json()["workgroups"] == [str(wg.pk)]
    assert Event.objects.filter(action="apikey.update", target_id=key_id).exists()


def test_revoking_a_key_records_who_did_it_and_kills_the_key(as_bob, bob):
    body = post_key(as_bob).json()
    assert as_bob.delete(f"/api/apikeys/{body['id']}").status_code == 204
    assert exchange(body["key"]).status_code == 401
    event = Event.objects.get(action="apikey.revoke", target_id=body["id"])
    assert event.actor_email == bob.email and event.data["owner"] == bob.email
    assert as_bob.get(f"/api/apikeys/{body['id']}").json()["status"] == "revoked"
    assert as_bob.get("/api/apikeys?status=active").json()["count"] == 0


@pytest.mark.parametrize("overlap", ["none", "1h", "24h", "7d"])
def test_regenerating_keeps_name_and_scope_and_the_old_key_for_the_overlap(as_bob, bob, overlap):
    old = post_key(as_bob, name="ci").json()
    response = as_bob.post(
        f"/api/apikeys/{old['id']}:regenerate", {"overlap": overlap}, content_type="application/json"
    )
    assert response.status_code == 201
    new = response.json()
    assert new["name"] == "ci" and new["workgroups"] == old["workgroups"] and new["key"] != old["key"]
    assert exchange(new["key"]).status_code == 200
    assert exchange(old["key"]).status_code == (401 if overlap == "none" else 200)
    old_row = ApiKey.objects.get(pk=old["id"])
    assert old_row.replaced_by_id is not None
    assert Event.objects.filter(action="apikey.regenerate", data__replaces=old["id"]).exists()
    again = as_bob.post(f"/api/apikeys/{old['id']}:regenerate", {}, content_type="application/json")
    assert again.status_code == 409


def test_regenerating_at_the_limit_is_allowed_without_an_overlap(as_bob, settings):
    settings.APIKEYS_MAX_PER_USER = 1
    old = post_key(as_bob).json()
    with_overlap = as_bob.post(
        f"/api/apikeys/{old['id']}:regenerate", {"overlap": "7d"}, content_type="application/json"
    )
    assert (with_overlap.status_code, with_overlap.json()["code"]) == (409, "apikey_limit")  # 2 would work
    response = as_bob.post(
        f"/api/apikeys/{old['id']}:regenerate", {"overlap": "none"}, content_type="application/json"
    )
    assert response.status_code == 201


def test_api_key_events_are_written(as_bob, bob):
    key_id = post_key(as_bob).json()["id"]
    assert Event.objects.filter(action="apikey.create", target_id=key_id, actor_email=bob.email).exists()


def test_a_user_cannot_see_or_touch_another_users_keys(as_alice, bob, tenant_a):
    apikey, _ = make_key(bob, tenant_a)
    assert as_alice.get("/api/apikeys").json()["count"] == 0
    assert as_alice.get(f"/api/apikeys/{apikey.pk}").status_code == 404
    assert as_alice.delete(f"/api/apikeys/{apikey.pk}").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/apikeys/{id}"),
        ("patch", "/api/apikeys/{id}"),
        ("delete", "/api/apikeys/{id}"),
        ("post", "/api/apikeys/{id}:regenerate"),
        ("delete", "/api/tenant/apikeys/{id}"),
    ],
)
def test_another_tenants_key_is_a_404(as_alice, charlie, tenant_b, method, path):
    """Charlie's key, asked for at Acme by Acme's admin, is the same 404 as a key that never was."""
    apikey, _ = make_key(charlie, tenant_b)
    response = getattr(as_alice, method)(path.format(id=apikey.pk), {}, content_type="application/json")
    assert response.status_code == 404
    assert ApiKey.objects.get(pk=apikey.pk).revoked_at is None


def test_the_tenant_inventory_lists_every_key_here_and_no_other(as_alice, bob, charlie, tenant_a, tenant_b):
    make_key(bob, tenant_a)
    make_key(charlie, tenant_b)
    rows = as_alice.get("/api/tenant/apikeys").json()["results"]
    assert [row["owner"]["email"] for row in rows] == [bob.email]


def test_only_tenant_admins_see_the_inventory(as_bob, bob):
    assert as_bob.get("/api/tenant/apikeys").status_code == 403


def test_a_tenant_admin_revokes_any_key_here(as_alice, alice, bob, tenant_a):
    apikey, text = make_key(bob, tenant_a)
    assert as_alice.delete(f"/api/tenant/apikeys/{apikey.pk}").status_code == 204
    assert exchange(text).status_code == 401
    event = Event.objects.get(action="apikey.revoke", target_id=str(apikey.pk))
    assert event.actor_email == alice.email and event.data["owner"] == bob.email


def test_revoking_all_keys_of_departed_members(as_alice, alice, bob, tenant_a):
    from accounts.models import Membership

    bobs, _ = make_key(bob, tenant_a)
    alices, _alice_text = make_key(alice, tenant_a)
    Membership.objects.filter(user=bob, tenant=tenant_a).update(is_active=False)
    response = as_alice.post("/api/tenant/apikeys:revoke-departed")
    assert response.json() == {"revoked": 1}
    assert ApiKey.objects.get(pk=bobs.pk).revoked_at is not None
    assert ApiKey.objects.get(pk=alices.pk).revoked_at is None


def test_last_use_is_recorded_at_most_once_a_minute(bob, tenant_a, bob_key):
    apikey, text = bob_key
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        assert exchange(text).status_code == 200
    used = ApiKey.objects.get(pk=apikey.pk)
    assert used.last_used_at is not None and used.last_used_ip == "127.0.0.1"
    with CaptureQueriesContext(connection) as later:
        for _ in range(5):
            assert exchange(text).status_code == 200
    updates = lambda queries: [q for q in queries if q["sql"].startswith("UPDATE")]  # noqa: E731
    assert len(updates(first.captured_queries)) == 1
    assert updates(later.captured_queries) == []


@pytest.mark.parametrize(
    "path",
    [
        "/apikeys/{id}/revoke",
        "/apikeys/{id}/regenerate",
        "/apikeys/{id}/rename",
        "/tenant/apikeys/{id}/revoke",
    ],
)
def test_the_pages_answer_404_for_another_tenants_key(as_alice, charlie, tenant_b, path):
    apikey, _ = make_key(charlie, tenant_b)
    assert as_alice.get(path.format(id=apikey.pk)).status_code == 404
    assert as_alice.post(path.format(id=apikey.pk), {"overlap": "none"}).status_code == 404
    assert ApiKey.objects.get(pk=apikey.pk).revoked_at is None


def test_the_manage_page_lists_only_the_users_own_keys(as_bob, alice, bob, tenant_a):
    make_key(alice, tenant_a, name="alices-key")
    make_key(bob, tenant_a, name="bobs-key")
    body = as_bob.get("/apikeys/").content.decode()
    assert "bobs-key" in body and "alices-key" not in body


def test_a_key_older_than_eleven_months_is_flagged_for_rotation_in_the_api_and_the_page(
    as_bob, bob, tenant_a
):
    old, _ = make_key(bob, tenant_a, name="old pipeline")
    young, _ = make_key(bob, tenant_a, name="young pipeline")
    ApiKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=336))
    ApiKey.objects.filter(pk=young.pk).update(created_at=timezone.now() - timedelta(days=334))
    flags = {k["name"]: k["rotation_due"] for k in as_bob.get("/api/apikeys").json()["results"]}
    assert flags == {"old pipeline": True, "young pipeline": False}
    rows = re.findall(r"<tr.*?</tr>", as_bob.get("/apikeys/").content.decode(), re.DOTALL)
    assert any("old pipeline" in row and "rotation due" in row for row in rows)
    assert not any("young pipeline" in row and "rotation due" in row for row in rows)
    assert as_bob.delete(f"/api/apikeys/{old.pk}").status_code == 204
    assert as_bob.get(f"/api/apikeys/{old.pk}").json()["rotation_due"] is False  # revoked: nothing to rotate
