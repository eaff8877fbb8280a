import pytest

from accounts.models import Event, Role, Workgroup, WorkgroupMembership
from tests.conftest import client_for
from tests.factories import WorkgroupFactory, WorkgroupMembershipFactory

JSON = "application/json"


@pytest.fixture
def genomics(tenant_a):
    return WorkgroupFactory(tenant=tenant_a, name="Genomics")


@pytest.fixture
def imaging(tenant_a):
    return WorkgroupFactory(tenant=tenant_a, name="Imaging")


def test_an_admin_creates_renames_and_deletes_a_workgroup(as_alice, tenant_a):
    response = as_alice.post("/api/workgroups", {"name": "  Sequencing   core "}, content_type=JSON)
    assert response.status_code == 201
    wg_id = response.json()["id"]
    assert response.json()["name"] == "Sequencing core"
    assert (
        as_alice.patch(f"/api/workgroups/{wg_id}", {"name": "Seq"}, content_type=JSON).json()["name"] == "Seq"
    )
    assert as_alice.delete(f"/api/workgroups/{wg_id}").status_code == 204
    assert not Workgroup.objects.filter(pk=wg_id).exists()
    actions = set(Event.objects.filter(tenant=tenant_a).values_list("action", flat=True))
    assert {"workgroup.create", "workgroup.rename", "workgroup.delete"} <= actions


def test_workgroup_names_are_unique_per_tenant_whatever_the_case(as_alice, as_charlie, genomics):
    assert as_alice.post("/api/workgroups", {"name": "GENOMICS"}, content_type=JSON).status_code == 409
    assert as_charlie.post("/api/workgroups", {"name": "Genomics"}, content_type=JSON).status_code == 201


def test_a_member_cannot_create_rename_or_delete(as_bob, bob, genomics):
    WorkgroupMembershipFactory(workgroup=genomics, user=bob, role=Role.ADMIN)
    assert as_bob.post("/api/workgroups", {"name": "Mine"}, content_type=JSON).status_code == 403
    assert as_bob.patch(f"/api/workgroups/{genomics.id}", {"name": "X"}, content_type=JSON).status_code == 403
    assert as_bob.delete(f"/api/workgroups/{genomics.id}").status_code == 403


def test_a_member_sees_only_their_workgroups(as_bob, as_alice, bob, genomics, imaging):
    WorkgroupMembershipFactory(workgroup=genomics, user=bob)
    assert [w["name"] for w in as_bob.get("/api/workgroups").json()["results"]] == ["Genomics"]
    assert as_bob.get(f"/api/workgroups/{imaging.id}").status_code == 404
    assert [w["name"] for w in as_alice.get("/api/workgroups").json()["results"]] == ["Genomics", "Imaging"]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("delete", ""), ("get", "/members"), ("post", "/members")],
)
def test_another_tenants_workgroup_is_not_found(as_charlie, charlie, genomics, method, suffix):
    payload = {"name": "pwned", "user_id": str(charlie.id)}
    response = getattr(as_charlie, method)(
        f"/api/workgroups/{genomics.id}{suffix}", payload, content_type=JSON
    )
    assert response.status_code == 404
    genomics.refresh_from_db()
    assert genomics.name == "Genomics" and not genomics.memberships.exists()


def test_another_tenants_workgroups_are_never_listed(as_charlie, genomics):
    assert as_charlie.get("/api/workgroups").json()["count"] == 0


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_another_tenants_workgroup_member_is_not_found(as_charlie, bob, genomics, method):
    WorkgroupMembershipFactory(workgroup=genomics, user=bob)
    url = f"/api/workgroups/{genomics.id}/members/{bob.id}"
    assert getattr(as_charlie, method)(url, {"role": "admin"}, content_type=JSON).status_code == 404
    assert WorkgroupMembership.objects.get(user=bob).role == Role.MEMBER


def test_an_admin_adds_members_and_makes_workgroup_admins(as_alice, bob, genomics, tenant_a):
    url = f"/api/workgroups/{genomics.id}/members"
    response = as_alice.post(url, {"user_id": str(bob.id)}, content_type=JSON)
    assert response.status_code == 201 and response.json()["role"] == "member"
    assert as_alice.post(url, {"user_id": str(bob.id)}, content_type=JSON).status_code == 409
    assert as_alice.patch(f"{url}/{bob.id}", {"role": "admin"}, content_type=JSON).json()["role"] == "admin"
    assert [m["email"] for m in as_alice.get(url).json()["results"]] == ["bob@acme.test"]
    me = client_for("acme.localhost", bob).get("/api/me").json()
    assert me["workgroups"] == [{"id": str(genomics.id), "name": "Genomics", "role": "admin"}]


def test_only_tenant_members_can_join_a_workgroup(as_alice, charlie, genomics):
    response = as_alice.post(
        f"/api/workgroups/{genomics.id}/members", {"user_id": str(charlie.id)}, content_type=JSON
    )
    assert response.status_code == 404


def test_a_workgroup_admin_manages_their_workgroup_only(as_bob, bob, alice, genomics, imaging):
    WorkgroupMembershipFactory(workgroup=genomics, user=bob, role=Role.ADMIN)
    WorkgroupMembershipFactory(workgroup=imaging, user=bob, role=Role.MEMBER)
    add = as_bob.post(f"/api/workgroups/{genomics.id}/members", {"user_id": str(alice.id)}, content_type=JSON)
    assert add.status_code == 201
    url = f"/api/workgroups/{genomics.id}/members/{alice.id}"
    assert as_bob.patch(url, {"role": "admin"}, content_type=JSON).status_code == 200
    assert as_bob.delete(url).status_code == 204
    refused = as_bob.post(
        f"/api/workgroups/{imaging.id}/members", {"user_id": str(alice.id)}, content_type=JSON
    )
    assert refused.status_code == 403
    # ... and nothing tenant-wide.
    assert as_bob.get("/api/users").status_code == 403


def test_removing_someone_from_the_tenant_removes_them_from_its_workgroups(as_alice, bob, genomics):
    WorkgroupMembershipFactory(workgroup=genomics, user=bob)
    as_alice.delete(f"/api/users/{bob.id}")
    assert not genomics.memberships.exists()
