"""People by their names: a profile page where a user sets theirs, names beside emails where
people are picked or listed, and an invitation that says who invited you to what."""

from django.test import Client

from accounts import services
from accounts.models import Event, User
from tests.factories import WorkgroupFactory
from tests.helpers import actor


def test_a_user_sets_their_name_and_the_tenant_sees_it(as_bob, as_alice, bob, tenant_a):
    response = as_bob.post("/profile/", {"full_name": "  Bob   Builder "}, follow=True)
    assert response.redirect_chain == [("/profile/", 302)]
    assert "Your name is now Bob Builder." in response.content.decode()
    assert User.objects.get(pk=bob.pk).full_name == "Bob Builder"
    assert Event.objects.get(action="user.rename").data["full_name"] == "Bob Builder"
    assert "Bob Builder" in as_alice.get("/users/").content.decode()
    too_long = as_bob.post("/profile/", {"full_name": "x" * 201})
    assert too_long.status_code == 400 and "A name has at most 200 characters." in too_long.content.decode()
    as_bob.post("/profile/", {"full_name": " "})
    assert User.objects.get(pk=bob.pk).full_name == ""
    # Invisible and format characters go: bidi overrides, zero widths, blank braille.
    as_bob.post("/profile/", {"full_name": "Alice\u202e Ex\u200bample" + "\u2800" * 150})
    assert User.objects.get(pk=bob.pk).full_name == "Alice Example"


def test_the_member_picker_and_the_members_show_names(as_alice, bob, tenant_a):
    workgroup = WorkgroupFactory(tenant=tenant_a, name="Sequencing")
    found = as_alice.get(f"/workgroups/{workgroup.pk}/candidates?q=builder")
    assert found.json()["results"] == []
    bob.full_name = "Bob Builder"
    bob.save()
    found = as_alice.get(f"/workgroups/{workgroup.pk}/candidates?q=builder")  # found by name, answered
    assert found.json()["results"] == [
        {"email": bob.email, "name": "Bob Builder", "lookalike": False}
    ]  # with the address
    as_alice.post(f"/workgroups/{workgroup.pk}/members", {"member": bob.email, "role": "member"})
    page = as_alice.get(f"/workgroups/{workgroup.pk}/").content.decode()
    assert f"Bob Builder<br><small>{bob.email}</small>" in page


def test_the_invitation_says_who_invited_you_to_what(alice, tenant_a):
    invitation = services.invitation_create(
        tenant=tenant_a, email="new@acme.test", role="admin", by=actor(alice, tenant_a)
    )
    link = f"/invite/{services.invitation_token(invitation)}/"
    response = Client(HTTP_HOST="acme.localhost").get(link, follow=True)
    page = response.content.decode()
    assert "Alice Admin (alice@acme.test) invited new@acme.test to Acme Genomics as a tenant admin." in page
