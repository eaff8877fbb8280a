import pytest

from accounts.models import Event, Membership
from tests.conftest import client_for
from tests.factories import MembershipFactory, UserFactory

JSON = "application/json"


def test_me_describes_the_caller_in_this_tenant(as_alice, alice, tenant_a):
    body = as_alice.get("/api/me").json()
    assert body["id"] == str(alice.id)
    assert body["email"] == "alice@acme.test"
    assert body["tenant"] == {"id": str(tenant_a.id), "name": "Acme Genomics", "domain": "acme.localhost"}
    assert body["is_tenant_admin"] is True
    assert body["workgroups"] == []


def test_me_refuses_anonymous_callers_with_a_401_problem_and_a_bearer_challenge(tenant_a):
    response = client_for("acme.localhost").get("/api/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="portal"'
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"


def test_me_refuses_a_member_of_another_tenant(alice, charlie):
    response = client_for("acme.localhost", charlie).get("/api/me")
    assert response.status_code == 403
    assert response.json()["detail"] == "You are not an active member of this tenant."


def test_the_users_list_is_paginated_searchable_and_this_tenants_only(as_alice, bob, charlie):
    for n in range(3):
        MembershipFactory(tenant=bob.memberships.get().tenant, user=UserFactory(email=f"z{n}@acme.test"))
    body = as_alice.get("/api/users?page_size=2").json()
    assert body["count"] == 5
    assert len(body["results"]) == 2 and body["next"]
    emails = [u["email"] for u in as_alice.get("/api/users?page_size=50").json()["results"]]
    assert "charlie@globex.test" not in emails
    assert [u["email"] for u in as_alice.get("/api/users?q=bob").json()["results"]] == ["bob@acme.test"]


def test_members_cannot_use_admin_endpoints(as_bob, alice):
    for method, path in [("get", "/api/users"), ("post", "/api/users"), ("get", "/api/events")]:
        response = getattr(as_bob, method)(path, content_type=JSON)
        assert response.status_code == 403, path
    assert as_bob.patch(f"/api/users/{alice.id}", {"role": "member"}, content_type=JSON).status_code == 403
    assert as_bob.delete(f"/api/users/{alice.id}").status_code == 403


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_tenants_user_is_not_found(as_charlie, bob, method):
    response = getattr(as_charlie, method)(f"/api/users/{bob.id}", {"is_active": False}, content_type=JSON)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert Membership.objects.get(user=bob).is_active


def test_an_admin_makes_and_unmakes_tenant_admins(as_alice, bob):
    body = as_alice.patch(f"/api/users/{bob.id}", {"role": "admin"}, content_type=JSON).json()
    assert body["role"] == "admin"
    assert (
        as_alice.patch(f"/api/users/{bob.id}", {"role": "member"}, content_type=JSON).json()["role"]
        == "member"
    )
    actions = list(Event.objects.filter(target_id=str(bob.id)).values_list("action", flat=True))
    assert sorted(actions) == ["member.make_admin", "member.remove_admin"]


def test_an_admin_deactivates_and_removes_members(as_alice, bob, tenant_a):
    assert (
        as_alice.patch(f"/api/users/{bob.id}", {"is_active": False}, content_type=JSON).json()["is_active"]
        is False
    )
    # A deactivated member's session is over (SessionPolicyMiddleware): not signed in any more.
    assert client_for("acme.localhost", bob).get("/api/me").status_code == 401
    assert as_alice.delete(f"/api/users/{bob.id}").status_code == 204
    assert not Membership.objects.filter(tenant=tenant_a, user=bob).exists()
    assert Event.objects.filter(tenant=tenant_a, action="member.remove", target_id=str(bob.id)).exists()


@pytest.mark.parametrize(
    ("method", "payload"),
    [("patch", {"role": "member"}), ("patch", {"is_active": False}), ("delete", None)],
)
def test_the_last_active_tenant_admin_stays(as_alice, alice, bob, method, payload):
    response = getattr(as_alice, method)(f"/api/users/{alice.id}", payload, content_type=JSON)
    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
    assert "at least one active tenant admin" in response.json()["detail"]
    assert Membership.objects.get(user=alice).is_admin
    assert not Event.objects.filter(target_id=str(alice.id)).exists()


def test_an_admin_may_step_down_once_another_admin_exists(as_alice, alice, bob):
    as_alice.patch(f"/api/users/{bob.id}", {"role": "admin"}, content_type=JSON)
    assert as_alice.patch(f"/api/users/{alice.id}", {"role": "member"}, content_type=JSON).status_code == 200


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(as_alice, alice, bob):
    as_alice.patch(f"/api/users/{bob.id}", {"role": "admin"}, content_type=JSON)
    as_alice.patch(f"/api/users/{bob.id}", {"is_active": False}, content_type=JSON)
    assert as_alice.patch(f"/api/users/{alice.id}", {"role": "member"}, content_type=JSON).status_code == 409


@pytest.mark.parametrize("invite", [True, False])
def test_naming_an_account_invites_it_and_tells_nothing_of_accounts_elsewhere(
    as_alice, charlie, tenant_a, invite
):
    """Once `"invite": false` added an existing account at once (201) and answered 404 for a
    missing one: an oracle for who has an account anywhere, and a membership nobody agreed to."""
    existing = as_alice.post(
        "/api/users", {"email": "CHARLIE@globex.test", "invite": invite, "role": "admin"}, content_type=JSON
    )
    missing = as_alice.post(
        "/api/users", {"email": "nobody@x.test", "invite": invite, "role": "admin"}, content_type=JSON
    )
    assert existing.status_code == missing.status_code == 202
    assert existing.json().keys() == missing.json().keys() == {"status", "invitation"}
    assert existing.json()["invitation"].keys() == missing.json()["invitation"].keys()
    assert not Membership.objects.filter(tenant=tenant_a, user=charlie).exists()
    assert set(tenant_a.invitations.values_list("email", flat=True)) == {
        "charlie@globex.test",
        "nobody@x.test",
    }


def test_an_admin_invites_by_email(as_alice, tenant_a):
    response = as_alice.post("/api/users", {"email": "new@x.test", "role": "admin"}, content_type=JSON)
    assert response.status_code == 202
    assert response.json()["invitation"]["email"] == "new@x.test"
    assert Event.objects.filter(tenant=tenant_a, action="invitation.create").exists()
    # Inviting again re-sends the same invitation instead of failing.
    assert as_alice.post("/api/users", {"email": "new@x.test"}, content_type=JSON).status_code == 202
    assert tenant_a.invitations.count() == 1


def test_inviting_a_member_is_a_conflict(as_alice, bob):
    response = as_alice.post("/api/users", {"email": bob.email}, content_type=JSON)
    assert response.status_code == 409


def test_bad_input_is_a_problem_naming_the_field(as_alice):
    response = as_alice.post("/api/users", {"email": "not-an-email", "role": "king"}, content_type=JSON)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert set(response.json()["errors"]) == {"email", "role"}


def test_session_writes_need_the_csrf_token(alice, tenant_a):
    client = client_for("acme.localhost", alice)
    client.handler.enforce_csrf_checks = True
    response = client.post("/api/workgroups", {"name": "x"}, content_type=JSON)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
