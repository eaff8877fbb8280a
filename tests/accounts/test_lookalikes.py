"""A lookalike address is someone else: never matched as another account, and marked for admins.

The attack: sign up and verify victim@b\u0131o.test (a dotless i, in a domain the attacker owns),
then wait for a tenant admin to name victim@bio.test. PostgreSQL's UPPER maps the dotless i to
`I`, so an `email__iexact` lookup found the attacker's account.
"""

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from accounts.models import Invitation, Membership, Role, User
from accounts.services import invitation_token
from tests.conftest import client_for
from tests.factories import MembershipFactory, UserFactory, WorkgroupFactory
from tests.helpers import sign_in, sign_up_and_verify

JSON = "application/json"
VICTIM = "victim@bio.test"
LOOKALIKES = {  # each a real, different mailbox: a different account, marked for admins
    "Turkish dotless i": "victim@b\u0131o.test",
    "Cyrillic a": "victim@\u0430cme.test",
}
MISDELIVERED = {  # addresses whose mail some software delivers elsewhere: refused outright
    "German sharp s (strasse.test to IDNA 2003, Django's mail code)": "victim@stra\u00dfe.test",
    "full-width letter (bio.test)": "victim@\uff42io.test",
    "zero-width space (bio.test)": "victim@bio.test\u200b",
    "soft hyphen (bio.test)": "victim@bio\u00ad.test",
    "dotted capital I in the name": "v\u0130ctim@bio.test",
}


@pytest.fixture
def attacker(tenant_b):
    """Someone who signed up and verified victim@b\u0131o.test at another tenant, open to anyone."""
    return sign_up_and_verify("globex.localhost", LOOKALIKES["Turkish dotless i"])


def test_an_admin_naming_the_victim_never_reaches_the_lookalike_account(as_alice, tenant_a, attacker):
    response = as_alice.post(
        "/api/users", {"email": VICTIM, "invite": False, "role": "admin"}, content_type=JSON
    )
    assert response.status_code == 202
    assert response.json()["invitation"]["email"] == VICTIM
    assert not Membership.objects.filter(tenant=tenant_a, user=attacker).exists()

    # The attacker, signed in, opens the invitation's link: it is for another address.
    as_attacker = sign_in("acme.localhost", attacker.email)
    token = invitation_token(Invitation.objects.get(tenant=tenant_a, email=VICTIM))
    page = as_attacker.post(f"/invite/{token}/").content.decode()
    assert (
        f"This invitation is for <strong>{VICTIM}</strong>, but you are signed in as {attacker.email}" in page
    )
    assert not Membership.objects.filter(tenant=tenant_a, user=attacker).exists()


def test_the_users_page_naming_the_victim_never_reaches_the_lookalike_account(as_alice, tenant_a, attacker):
    page = as_alice.post("/users/", {"email": VICTIM, "role": "admin"}, follow=True).content.decode()
    assert f"An invitation is on its way to {VICTIM}" in page
    assert "is now a member" not in page
    assert not Membership.objects.filter(tenant=tenant_a, user=attacker).exists()


def test_create_tenant_makes_the_named_account_not_the_lookalike(attacker, capsys):
    call_command(
        "create_tenant",
        name="Bio Lab",
        domain="bio.localhost",
        admin_email="Victim@Bio.test",
        admin_password="the-operators-password-1",
    )
    admin = Membership.objects.get(tenant__domain="bio.localhost", role=Role.ADMIN).user
    assert admin.email == VICTIM and admin != attacker
    assert admin.check_password("the-operators-password-1")
    assert not Membership.objects.filter(tenant__domain="bio.localhost", user=attacker).exists()
    assert "already had an account" not in capsys.readouterr().out


def test_create_tenant_says_when_the_account_existed_and_leaves_its_password(db, capsys):
    existing = UserFactory(email=VICTIM)
    call_command(
        "create_tenant",
        name="Bio Lab",
        domain="bio.localhost",
        admin_email=VICTIM,
        admin_password="the-operators-password-1",
    )
    out = capsys.readouterr().out
    assert f"{VICTIM} already had an account: its password is unchanged" in out
    assert "the password given was NOT used" in out
    existing.refresh_from_db()
    assert not existing.check_password("the-operators-password-1")


@pytest.mark.parametrize("lookalike", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_a_lookalike_stays_a_different_account(tenant_a, tenant_b, lookalike):
    victim = sign_up_and_verify("acme.localhost", VICTIM, password="the-victims-password-1")
    twin = sign_up_and_verify("globex.localhost", lookalike)
    assert twin != victim and twin.email == lookalike.lower()
    assert sign_in("acme.localhost", VICTIM) is None  # the lookalike's password does not open it
    assert sign_in("acme.localhost", VICTIM, "the-victims-password-1") is not None
    assert sign_in("globex.localhost", lookalike.replace("victim", "VICTIM")) is not None  # any case


@pytest.mark.parametrize("address", MISDELIVERED.values(), ids=MISDELIVERED.keys())
def test_an_address_whose_mail_could_go_elsewhere_is_refused_everywhere(as_alice, tenant_a, address):
    password = "a-fine-long-password-42"
    signup = client_for("acme.localhost").post(
        "/accounts/signup/", {"email": address, "password1": password, "password2": password}
    )
    assert signup.status_code == 200 and "This address" in signup.content.decode()
    invited = as_alice.post("/api/users", {"email": address, "role": "admin"}, content_type=JSON)
    assert (invited.status_code, invited.json()["code"]) == (400, "invalid_email")
    with pytest.raises(CommandError):
        call_command(
            "create_tenant", name="X", domain="x.localhost", admin_email=address, admin_password=password
        )
    assert not User.objects.exclude(email__in=["alice@acme.test"]).exists()
    assert not mail.outbox


def test_an_older_account_at_such_an_address_gets_no_mail_the_other_domain_could_read(tenant_a):
    """Made before such addresses were refused: a password reset for bob@stra\u00dfe.test went
    to bob@strasse.test (Django encodes with IDNA 2003), whoever holds that domain."""
    MembershipFactory(tenant=tenant_a, user=UserFactory(email="bob@stra\u00dfe.test"), role=Role.ADMIN)
    client_for("acme.localhost").post("/accounts/password/reset/", {"email": "bob@stra\u00dfe.test"})
    assert not mail.outbox


def test_the_users_page_marks_an_older_unsafe_address(as_alice, tenant_a):
    MembershipFactory(tenant=tenant_a, user=UserFactory(email="zed@bio.test\u200b"))
    assert "unsafe address" in as_alice.get("/users/").content.decode()


def test_the_users_page_and_event_log_mark_a_lookalike_and_show_its_punycode(as_alice, tenant_a, attacker):
    MembershipFactory(tenant=tenant_a, user=UserFactory(email=VICTIM))
    MembershipFactory(tenant=tenant_a, user=attacker)
    page = as_alice.get("/users/").content.decode()
    assert "(xn--bo-hpa.test)" in page
    assert f"looks like {VICTIM}" in page
    assert f"looks like {attacker.email}" in page  # the real one is marked too: which is which?

    as_alice.post("/users/", {"email": "alice@\u0430\u0441me.test", "role": "member"})  # Cyrillic a, c
    users = as_alice.get("/users/").content.decode()
    assert "looks like alice@acme.test" in users  # in the pending invitations

    as_alice.post(f"/users/{attacker.pk}/", {"action": "deactivate"})
    log = as_alice.get("/events/").content.decode()
    assert f"looks like {VICTIM}" in log


def test_a_mixed_script_address_is_marked_even_alone(as_alice, tenant_a):
    MembershipFactory(tenant=tenant_a, user=UserFactory(email="bob@g\u043e\u043egle.test"))  # Cyrillic o
    page = as_alice.get("/users/").content.decode()
    assert "mixed scripts" in page and "(xn--ggle-55da.test)" in page
    assert page.count("mixed scripts") == 1  # alice@acme.test is not marked


def test_a_plain_address_is_not_marked(as_alice, bob):
    page = as_alice.get("/users/").content.decode()
    assert "looks like" not in page and "mixed scripts" not in page and "xn--" not in page


def test_the_api_finds_an_invitee_by_exact_address_only(as_alice, tenant_a, attacker):
    MembershipFactory(tenant=tenant_a, user=UserFactory(email=VICTIM))
    # Inviting the lookalike is not "already a member": it is another address.
    response = as_alice.post("/api/users", {"email": attacker.email}, content_type=JSON)
    assert response.status_code == 202
    assert as_alice.post("/api/users", {"email": "VICTIM@bio.test"}, content_type=JSON).status_code == 409
    assert client_for("acme.localhost", attacker).get("/api/me").status_code in (401, 403)
    assert User.objects.filter(email__in=[VICTIM, attacker.email]).count() == 2


@pytest.mark.parametrize("address", ["Mallory <m@evil.test>", "x@acme.test, m@evil.test"])
def test_an_operator_cannot_name_a_display_name_or_a_list_as_an_admin(db, address):
    with pytest.raises(CommandError, match="is not an email address"):
        call_command(
            "create_tenant",
            name="X",
            domain="x.localhost",
            admin_email=address,
            admin_password="pw-1234567890",
        )


def test_createsuperuser_and_django_admin_follow_the_same_rule(alice, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-fine-long-password-42")
    with pytest.raises(ValueError, match=r"some mail software would deliver to strasse\.test"):
        call_command("createsuperuser", interactive=False, email="root@stra\u00dfe.test", verbosity=0)
    root = UserFactory(email="root@portal.test", is_staff=True, is_superuser=True)
    admin = client_for("localhost", root)
    added = admin.post(
        "/admin/account/emailaddress/add/",
        {"user": alice.pk, "email": "alice2@stra\u00dfe.test", "verified": "on", "primary": ""},
    )
    assert added.status_code == 200 and "This address" in added.content.decode()
    assert not alice.emailaddress_set.filter(email__startswith="alice2").exists()


def test_a_punycode_domain_is_compared_as_what_it_stands_for(as_alice, tenant_a):
    MembershipFactory(tenant=tenant_a, user=UserFactory(email=VICTIM))
    MembershipFactory(tenant=tenant_a, user=UserFactory(email="victim@xn--bo-hpa.test"))  # b\u0131o.test
    page = as_alice.get("/users/").content.decode()
    assert "looks like victim@xn--bo-hpa.test" in page and "(b\u0131o.test)" in page


def test_the_member_picker_adds_the_named_member_not_the_lookalike(as_alice, tenant_a, attacker):
    MembershipFactory(tenant=tenant_a, user=attacker)  # a member here too, but not the victim (yet)
    workgroup = WorkgroupFactory(tenant=tenant_a, name="Finance")
    response = as_alice.post(
        f"/workgroups/{workgroup.pk}/members", {"member": VICTIM, "role": "admin"}, follow=True
    )
    assert f"No active member of {tenant_a.name} has the address {VICTIM}" in response.content.decode()
    assert not workgroup.memberships.exists()  # the database's case folding would match b\u0131o for bio

    victim = MembershipFactory(tenant=tenant_a, user=UserFactory(email=VICTIM)).user
    found = as_alice.get(f"/workgroups/{workgroup.pk}/candidates", {"q": "victim@bi"}).json()["results"]
    assert [r["email"] for r in found] == [VICTIM]  # typing the real address suggests the real one
    marked = {
        r["email"]: r["lookalike"]
        for r in as_alice.get(f"/workgroups/{workgroup.pk}/candidates?q=victim").json()["results"]
    }
    assert marked == {VICTIM: True, attacker.email: True}  # which is which? both are marked
    as_alice.post(f"/workgroups/{workgroup.pk}/members", {"member": VICTIM.upper(), "role": "admin"})
    assert list(workgroup.memberships.values_list("user", flat=True)) == [victim.pk]
