"""The browser pages for tenant admins and workgroup admins (rendered HTML, real forms)."""

import re

import pytest
from django.core.management import call_command

from accounts.models import Event, Invitation, Membership, Role, Tenant, User, Workgroup, WorkgroupMembership
from tests.conftest import client_for
from tests.factories import MembershipFactory, UserFactory, WorkgroupFactory, WorkgroupMembershipFactory
from tests.helpers import tenant_admin_form


@pytest.fixture
def genomics(tenant_a):
    return WorkgroupFactory(tenant=tenant_a, name="Genomics")


def test_the_users_page_lists_searches_and_paginates_members(as_alice, tenant_a, bob, charlie):
    for n in range(30):
        MembershipFactory(tenant=tenant_a, user=UserFactory(email=f"member{n:02}@acme.test"))
    page = as_alice.get("/users/").content.decode()
    assert "Page 1 of 2 (32 in all)" in page
    assert "charlie@globex.test" not in page
    found = as_alice.get("/users/?q=bob").content.decode()
    assert "bob@acme.test" in found and "member01@acme.test" not in found
    assert "member29@acme.test" in as_alice.get("/users/?page=2").content.decode()


def test_the_users_page_invites_people_with_an_account_or_without(as_alice, tenant_a, charlie):
    response = as_alice.post("/users/", {"email": "new@lab.test", "role": "member"}, follow=True)
    assert "An invitation is on its way to new@lab.test" in response.content.decode()
    assert Invitation.objects.get(tenant=tenant_a).email == "new@lab.test"
    assert "new@lab.test" in as_alice.get("/users/").content.decode()  # pending list

    response = as_alice.post("/users/", {"email": charlie.email, "role": "admin"}, follow=True)
    assert f"An invitation is on its way to {charlie.email}" in response.content.decode()
    assert not Membership.objects.filter(tenant=tenant_a, user=charlie).exists()  # until he accepts
    assert "Add existing account" not in response.content.decode()


def test_the_users_page_revokes_an_invitation(as_alice, as_charlie, tenant_a):
    as_alice.post("/users/", {"email": "new@lab.test", "role": "member"})
    invitation = Invitation.objects.get(tenant=tenant_a)
    assert as_charlie.post(f"/invitations/{invitation.id}/revoke").status_code == 404
    as_alice.post(f"/invitations/{invitation.id}/revoke")
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED


def test_the_users_page_changes_roles_and_status(as_alice, alice, bob):
    as_alice.post(f"/users/{bob.id}/", {"action": "make_admin"})
    assert Membership.objects.get(user=bob).role == Role.ADMIN
    as_alice.post(f"/users/{bob.id}/", {"action": "deactivate"})
    assert not Membership.objects.get(user=bob).is_active
    as_alice.post(f"/users/{bob.id}/", {"action": "reactivate"})
    as_alice.post(f"/users/{bob.id}/", {"action": "remove"})
    assert not Membership.objects.filter(user=bob).exists()


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "/\\evil.example"]
)
def test_the_users_page_returns_only_to_a_path_on_this_host(as_alice, bob, target):
    response = as_alice.post(f"/users/{bob.id}/", {"action": "make_admin", "next": target})
    assert response.status_code == 302 and response["Location"] == "/users/"
    kept = as_alice.post(f"/users/{bob.id}/", {"action": "remove_admin", "next": "/users/?page=2"})
    assert kept["Location"] == "/users/?page=2"


def test_the_users_page_explains_the_last_admin_rule(as_alice, alice):
    response = as_alice.post(f"/users/{alice.id}/", {"action": "remove_admin"}, follow=True)
    assert "must keep at least one active tenant admin" in response.content.decode()
    assert Membership.objects.get(user=alice).is_admin


def test_another_tenants_member_is_not_found_on_the_users_page(as_charlie, bob):
    assert as_charlie.post(f"/users/{bob.id}/", {"action": "deactivate"}).status_code == 404
    assert Membership.objects.get(user=bob).is_active


def test_members_get_no_admin_pages(as_bob, alice):
    for path in ["/users/", "/settings/", "/events/"]:
        assert as_bob.get(path).status_code == 403, path
    assert as_bob.post(f"/users/{alice.id}/", {"action": "deactivate"}).status_code == 403
    assert Membership.objects.get(user=alice).is_active


def test_the_workgroup_pages_create_rename_and_delete(as_alice, tenant_a):
    as_alice.post("/workgroups/", {"name": "Proteomics"})
    workgroup = Workgroup.objects.get(tenant=tenant_a, name="Proteomics")
    assert "Proteomics" in as_alice.get("/workgroups/").content.decode()
    as_alice.post(f"/workgroups/{workgroup.id}/edit", {"name": "Proteomics core"})
    workgroup.refresh_from_db()
    assert workgroup.name == "Proteomics core"
    response = as_alice.post("/workgroups/", {"name": "proteomics CORE"}, follow=True)
    assert "already exists" in response.content.decode()
    as_alice.post(f"/workgroups/{workgroup.id}/edit", {"action": "delete"})
    assert not Workgroup.objects.filter(pk=workgroup.pk).exists()


def test_the_workgroup_page_adds_members_and_workgroup_admins(as_alice, bob, genomics):
    as_alice.post(f"/workgroups/{genomics.id}/members", {"member": "BOB@acme.test ", "role": "member"})
    as_alice.post(f"/workgroups/{genomics.id}/members/{bob.id}", {"action": "make_admin"})
    assert WorkgroupMembership.objects.get(workgroup=genomics, user=bob).role == Role.ADMIN
    as_alice.post(f"/workgroups/{genomics.id}/members/{bob.id}", {"action": "remove"})
    assert not genomics.memberships.exists()


@pytest.mark.parametrize(
    ("member", "message"),
    [
        ("", "Give the email address of the member to add."),
        ("bob", "Give the member&#x27;s whole email address."),
        ("charlie@globex.test", "No active member of Acme Genomics has the address charlie@globex.test"),
        ("gone@acme.test", "No active member of Acme Genomics has the address gone@acme.test"),
        ("alice@acme.test", "or they are in this workgroup already"),
    ],
)
def test_the_member_picker_says_why_it_adds_nobody(
    as_alice, alice, tenant_a, charlie, genomics, member, message
):
    MembershipFactory(tenant=tenant_a, user=UserFactory(email="gone@acme.test"), is_active=False)
    WorkgroupMembershipFactory(workgroup=genomics, user=alice)
    response = as_alice.post(
        f"/workgroups/{genomics.id}/members", {"member": member, "role": "member"}, follow=True
    )
    assert message in response.content.decode()
    assert list(genomics.memberships.values_list("user__email", flat=True)) == ["alice@acme.test"]


def test_the_member_picker_suggests_a_few_matching_members_of_thousands(
    as_alice, tenant_a, bob, charlie, genomics
):
    users = User.objects.bulk_create(User(email=f"person{n:04}@acme.test") for n in range(5000))
    Membership.objects.bulk_create(Membership(tenant=tenant_a, user=user) for user in users)
    WorkgroupMembershipFactory(workgroup=genomics, user=users[1])
    url = f"/workgroups/{genomics.id}/candidates"

    found = as_alice.get(url, {"q": "person000"}).json()["results"]
    assert [r["email"] for r in found] == [f"person000{n}@acme.test" for n in (0, 2, 3, 4, 5, 6, 7, 8, 9)]
    assert len(as_alice.get(url, {"q": "person"}).json()["results"]) == 20  # a few rows, not 5,000
    assert as_alice.get(url, {"q": "bob mem"}).json()["results"] == [
        {"email": bob.email, "name": "Bob Member", "lookalike": False}
    ]
    assert as_alice.get(url, {"q": "globex"}).json()["results"] == []  # only this tenant's members


def test_the_member_picker_answers_only_who_may_add_members(as_bob, as_charlie, alice, bob, genomics):
    url = f"/workgroups/{genomics.id}/candidates?q=a"
    assert as_charlie.get(url).status_code == 404  # another tenant
    WorkgroupMembershipFactory(workgroup=genomics, user=bob)
    assert as_bob.get(url).status_code == 404  # a plain workgroup member
    WorkgroupMembership.objects.filter(workgroup=genomics, user=bob).update(role=Role.ADMIN)
    assert as_bob.get(url).json()["results"][0]["email"] == "alice@acme.test"


def test_a_workgroup_admin_manages_members_on_the_page_but_not_the_workgroup(as_bob, bob, alice, genomics):
    WorkgroupMembershipFactory(workgroup=genomics, user=bob, role=Role.ADMIN)
    page = as_bob.get(f"/workgroups/{genomics.id}/").content.decode()
    assert 'id="add-member"' in page and "Rename or delete" not in page
    as_bob.post(f"/workgroups/{genomics.id}/members", {"member": alice.email, "role": "admin"})
    assert WorkgroupMembership.objects.get(workgroup=genomics, user=alice).role == Role.ADMIN
    response = as_bob.post(f"/workgroups/{genomics.id}/edit", {"action": "delete"}, follow=True)
    assert "Only tenant admins" in response.content.decode()
    assert Workgroup.objects.filter(pk=genomics.pk).exists()


def test_a_plain_workgroup_member_cannot_manage_it(as_bob, bob, alice, genomics):
    WorkgroupMembershipFactory(workgroup=genomics, user=bob)
    assert 'id="add-member"' not in as_bob.get(f"/workgroups/{genomics.id}/").content.decode()
    response = as_bob.post(
        f"/workgroups/{genomics.id}/members", {"member": alice.email, "role": "member"}, follow=True
    )
    assert "Only admins of this workgroup" in response.content.decode()
    assert not genomics.memberships.filter(user=alice).exists()


def test_another_tenants_workgroup_page_is_not_found(as_charlie, genomics, bob):
    WorkgroupMembershipFactory(workgroup=genomics, user=bob)
    assert as_charlie.get(f"/workgroups/{genomics.id}/").status_code == 404
    assert as_charlie.post(f"/workgroups/{genomics.id}/edit", {"action": "delete"}).status_code == 404
    assert (
        as_charlie.post(f"/workgroups/{genomics.id}/members/{bob.id}", {"action": "remove"}).status_code
        == 404
    )
    assert genomics.memberships.filter(user=bob).exists()


def test_the_settings_page_sets_the_tenant_policy(as_alice, tenant_a):
    form = {
        "signup_mode": "email-domain",
        "allowed_email_domains": "Acme.test, @lab.acme.test acme.test",
        "jwt_lifetime_minutes": "30",
        "apikey_max_lifetime_days": "90",
        "session_idle_minutes": "15",
        "session_max_hours": "8",
    }
    as_alice.post("/settings/", form)
    tenant = Tenant.objects.get(pk=tenant_a.pk)
    assert tenant.signup_mode == "email-domain"
    assert tenant.allowed_email_domains == ["acme.test", "lab.acme.test"]
    assert tenant.jwt_lifetime_seconds == 1800 and tenant.apikey_max_lifetime_days == 90
    assert (tenant.session_idle_minutes, tenant.session_max_hours) == (15, 8)
    event = Event.objects.get(tenant=tenant, action="tenant.policy_update")
    assert event.data["jwt_lifetime_seconds"] == 1800


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("jwt_lifetime_minutes", "2", "Give a whole number of minutes from 5 to 1440."),
        ("jwt_lifetime_minutes", "1441", "Give a whole number of minutes from 5 to 1440."),
        ("jwt_lifetime_minutes", "", "Give a whole number of minutes from 5 to 1440."),
        ("session_idle_minutes", "4", "Give a whole number of minutes from 5 to 1440."),
        ("session_max_hours", "721", "Give a whole number of hours from 1 to 720."),
        ("allowed_email_domains", "not a domain!", "is not an email domain"),
        ("signup_mode", "email-domain", "at least one email domain"),
    ],
)
def test_the_settings_page_refuses_bad_values(as_alice, tenant_a, field, value, message):
    form = {"signup_mode": "open", "allowed_email_domains": "", "jwt_lifetime_minutes": "60"}
    form |= {"apikey_max_lifetime_days": "365", "session_idle_minutes": "30", "session_max_hours": "12"}
    form |= {field: value}
    response = as_alice.post("/settings/", form)
    page = response.content.decode()
    assert message in page
    if field != "allowed_email_domains":  # the service's own check: a message above the form
        where = "allowed_email_domains" if field == "signup_mode" else field
        error = re.search(rf'<small class="error" id="id_{where}_error">([^<]*)</small>', page)
        assert response.status_code == 400 and error and message in error.group(1)  # next to its field
        assert "Jwt lifetime minutes" not in page  # no internal names
    assert Tenant.objects.get(pk=tenant_a.pk).jwt_lifetime_seconds == 3600


def test_allauth_pages_wear_the_portal_layout(as_alice, tenant_a):
    for path in [
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/totp/activate",
        "/accounts/logout/",
    ]:
        response = as_alice.get(path, follow=True)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert "pico.min.css" in body and "Acme Genomics" in body, path


def test_password_reset_mails_a_link_to_this_tenants_host(alice, mailoutbox):
    client = client_for("acme.localhost")
    client.post("/accounts/password/reset/", {"email": "alice@acme.test"})
    assert "http://acme.localhost/accounts/password/reset/key/" in mailoutbox[-1].body
    assert mailoutbox[-1].subject.startswith("[Acme Genomics]")


@pytest.fixture
def as_superuser(db):
    return client_for("localhost", UserFactory(email="root@portal.test", is_staff=True, is_superuser=True))


def test_a_superuser_makes_tenant_admins_in_django_admin(as_superuser, tenant_a, alice, bob):
    url = f"/admin/accounts/tenant/{tenant_a.pk}/change/"
    assert as_superuser.get(url).status_code == 200
    rows = [
        (Membership.objects.get(user=alice), "admin", True),
        (Membership.objects.get(user=bob), "admin", True),
    ]
    response = as_superuser.post(url, tenant_admin_form(tenant_a, rows))
    assert response.status_code == 302
    assert Membership.objects.get(user=bob).role == Role.ADMIN
    event = Event.objects.get(tenant=tenant_a, action="member.update")
    assert event.actor_email == "root@portal.test" and event.data == {"role": "admin", "via": "django-admin"}


def test_django_admin_cannot_move_a_membership_to_another_user(as_superuser, tenant_a, alice, bob):
    """It was a 500 (a User in the event's data), and would have left bob's tokens working: the
    security review of issue 20 found it."""
    url = f"/admin/accounts/tenant/{tenant_a.pk}/change/"
    rows = [
        (Membership.objects.get(user=alice), "admin", True),
        (Membership.objects.get(user=bob), "member", True),
    ]
    form = tenant_admin_form(tenant_a, rows)
    form["memberships-1-user"] = UserFactory(email="mallory@acme.test").pk
    assert as_superuser.post(url, form).status_code == 302
    assert Membership.objects.filter(tenant=tenant_a, user=bob).exists()
    assert not Membership.objects.filter(tenant=tenant_a, user__email="mallory@acme.test").exists()


def test_django_admin_keeps_the_last_active_tenant_admin(as_superuser, tenant_a, alice):
    url = f"/admin/accounts/tenant/{tenant_a.pk}/change/"
    response = as_superuser.post(
        url, tenant_admin_form(tenant_a, [(alice.memberships.get(), "admin", False)])
    )
    assert "must keep at least one active tenant admin" in response.content.decode()
    assert Membership.objects.get(user=alice).is_active


def test_the_openapi_schema_is_valid_and_complete(db):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
