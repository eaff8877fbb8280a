from accounts.models import Event
from tests.conftest import client_for

JSON = "application/json"


def test_the_event_log_is_newest_first_and_filterable(as_alice, bob, tenant_a):
    as_alice.post("/api/workgroups", {"name": "One"}, content_type=JSON)
    as_alice.post("/api/workgroups", {"name": "Two"}, content_type=JSON)
    as_alice.patch(f"/api/users/{bob.id}", {"role": "admin"}, content_type=JSON)
    events = as_alice.get("/api/events").json()["results"]
    assert [e["action"] for e in events] == ["member.make_admin", "workgroup.create", "workgroup.create"]
    assert events[0]["actor"] == "alice@acme.test"
    assert events[0]["ip"] == "127.0.0.1"
    assert events[0]["target_id"] == str(bob.id)
    created = as_alice.get("/api/events?action=workgroup.create").json()["results"]
    assert [e["target_label"] for e in created] == ["Two", "One"]
    assert as_alice.get("/api/events?actor=bob@acme.test").json()["count"] == 0


def test_the_event_log_never_shows_another_tenants_events(as_alice, as_charlie, tenant_b):
    as_alice.post("/api/workgroups", {"name": "Secret"}, content_type=JSON)
    assert as_charlie.get("/api/events").json()["count"] == 0
    assert not Event.objects.filter(tenant=tenant_b, action="workgroup.create").exists()


def test_the_event_log_page_filters_by_action_and_actor(as_alice, tenant_a):
    as_alice.post("/api/workgroups", {"name": "Alpha"}, content_type=JSON)
    page = as_alice.get("/events/?action=workgroup.create&actor=alice@acme.test").content.decode()
    assert "Alpha" in page
    assert "Alpha" not in as_alice.get("/events/?actor=bob@acme.test").content.decode()


def test_the_event_log_page_names_the_people_of_this_tenant(as_alice, bob):
    as_alice.post(f"/users/{bob.pk}/", {"action": "make_admin"})
    row = as_alice.get("/events/?action=member.make_admin").content.decode().split('id="events"')[1]
    assert '>Alice Admin</span> · <span class="address">alice@acme.test<' in row  # the actor
    assert '>Bob Member</span> · <span class="address">bob@acme.test<' in row  # the target


def test_members_do_not_see_the_event_log_page(as_bob):
    assert as_bob.get("/events/").status_code == 403


def test_the_schema_and_the_docs_are_served_locally(as_alice):
    schema = client_for("acme.localhost").get("/api/schema", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/me", "/api/workgroups/{workgroup_id}/members/{user_id}", "/api/events"} <= set(paths)
    docs = as_alice.get("/api/docs").content.decode()
    assert "swagger-ui" in docs
    assert "cdn.jsdelivr" not in docs and "unpkg" not in docs
