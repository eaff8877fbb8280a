import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import Event, Membership, Role, Tenant, User
from tests.conftest import change_tenant, client_for

PASSWORD = "a-fine-long-password-42"


def _signup(client, email):
    return client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def _confirm_link(message) -> str:
    return re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", message.body).group(0)


def test_an_open_tenant_lets_a_visitor_sign_up_verify_and_become_a_member(tenant_a):
    client = client_for("acme.localhost")
    response = _signup(client, "dana@anywhere.test")
    assert response.status_code == 302
    user = User.objects.get(email="dana@anywhere.test")
    assert Membership.objects.get(user=user, tenant=tenant_a).role == Role.MEMBER
    assert Event.objects.filter(tenant=tenant_a, action="member.join", actor=user).exists()

    # Not verified yet: logging in sends another confirmation instead of a session.
    fresh = client_for("acme.localhost")
    fresh.post("/accounts/login/", {"login": "dana@anywhere.test", "password": PASSWORD})
    assert fresh.get("/").status_code == 302

    assert len(mail.outbox) >= 1
    assert mail.outbox[0].subject.startswith("[Acme Genomics]")
    link = _confirm_link(mail.outbox[0])
    assert "acme.localhost" in link
    path = link.split("acme.localhost", 1)[1]
    assert fresh.post(path).status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    fresh.post("/accounts/login/", {"login": "dana@anywhere.test", "password": PASSWORD})
    assert fresh.get("/").status_code == 200


def test_an_email_domain_tenant_refuses_other_domains(tenant_a):
    change_tenant(tenant_a, signup_mode=Tenant.SignupMode.EMAIL_DOMAIN, allowed_email_domains=["acme.test"])
    client = client_for("acme.localhost")
    response = _signup(client, "eve@evil.test")
    assert response.status_code == 200
    assert "limited to email addresses at acme.test" in response.content.decode()
    assert not User.objects.filter(email="eve@evil.test").exists()

    assert _signup(client, "Frank@ACME.test").status_code == 302
    assert Membership.objects.filter(tenant=tenant_a, user__email="frank@acme.test").exists()


def test_an_invite_only_tenant_says_so_and_creates_nobody(tenant_a):
    change_tenant(tenant_a, signup_mode=Tenant.SignupMode.INVITE_ONLY)
    client = client_for("acme.localhost")
    page = client.get("/accounts/signup/")
    assert "invitation only" in page.content.decode()
    _signup(client, "gina@anywhere.test")
    assert not User.objects.filter(email="gina@anywhere.test").exists()


def test_signing_up_at_one_tenant_joins_only_that_tenant(tenant_a, tenant_b):
    _signup(client_for("globex.localhost"), "hank@anywhere.test")
    user = User.objects.get(email="hank@anywhere.test")
    assert list(Membership.objects.filter(user=user).values_list("tenant__slug", flat=True)) == ["globex"]


@pytest.mark.parametrize("mode", ["email-domain", "invite-only"])
def test_an_invitation_opens_signup_whatever_the_policy(tenant_a, alice, mode):
    from accounts import services
    from accounts.services import Actor

    change_tenant(tenant_a, signup_mode=mode, allowed_email_domains=["acme.test"])
    tenant_a.refresh_from_db()
    by = Actor(user=alice, membership=alice.memberships.get())
    invitation = services.invitation_create(
        tenant=tenant_a, email="ivan@elsewhere.test", role=Role.ADMIN, by=by
    )
    token = services.invitation_token(invitation)
    client = client_for("acme.localhost")
    response = client.get(f"/invite/{token}/")
    assert response["Location"] == "/accounts/signup/"
    assert 'value="ivan@elsewhere.test"' in client.get("/accounts/signup/").content.decode()

    assert _signup(client, "ivan@elsewhere.test").status_code == 302
    membership = Membership.objects.get(tenant=tenant_a, user__email="ivan@elsewhere.test")
    assert membership.role == Role.ADMIN
    # The link came by email, so the address counts as verified and the invitee is signed in.
    assert EmailAddress.objects.get(email="ivan@elsewhere.test").verified
    assert client.get("/").status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    assert client_for("acme.localhost").get(f"/invite/{token}/").status_code == 404


def test_an_invitation_link_is_useless_at_another_tenant(tenant_a, tenant_b, alice):
    from accounts import services
    from accounts.services import Actor

    by = Actor(user=alice, membership=alice.memberships.get())
    invitation = services.invitation_create(tenant=tenant_a, email="jo@x.test", role=Role.MEMBER, by=by)
    token = services.invitation_token(invitation)
    assert client_for("globex.localhost").get(f"/invite/{token}/").status_code == 404
    assert client_for("acme.localhost").get(f"/invite/{token[:-2]}xx/").status_code == 404


def test_an_existing_account_accepts_an_invitation_after_signing_in(tenant_a, alice, charlie):
    from accounts import services
    from accounts.services import Actor

    by = Actor(user=alice, membership=alice.memberships.get())
    invitation = services.invitation_create(tenant=tenant_a, email=charlie.email, role=Role.MEMBER, by=by)
    url = f"/invite/{services.invitation_token(invitation)}/"
    assert "Sign in" in client_for("acme.localhost").get(url).content.decode()
    as_charlie = client_for("acme.localhost", charlie)
    assert as_charlie.post(url).status_code == 302
    assert Membership.objects.get(tenant=tenant_a, user=charlie).role == Role.MEMBER

    # Somebody else signed in cannot use it.
    invitation2 = services.invitation_create(tenant=tenant_a, email="kim@x.test", role=Role.MEMBER, by=by)
    url2 = f"/invite/{services.invitation_token(invitation2)}/"
    assert "This invitation is for" in as_charlie.get(url2).content.decode()
    as_charlie.post(url2)
    assert not Membership.objects.filter(tenant=tenant_a, user__email="kim@x.test").exists()
