"""Single sign-on only: passwords sign in nobody but the break-glass admins (with TOTP); password
sign-up, reset and token exchange are off; API keys keep working. Offered once the provider has
worked, and only with a break-glass admin."""

import base64
import io
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Event
from sso.models import SignIn
from tests.conftest import client_for
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import bearer, exchange, make_key

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def worked(as_alice, tenant_a, form) -> SignIn:
    """Acme's provider, set and (as if someone signed in through it already) known to work."""
    as_alice.post("/settings/sign-in/", form)
    SignIn.objects.filter(tenant=tenant_a).update(worked_at=timezone.now())
    return SignIn.objects.get(tenant=tenant_a)


@pytest.fixture
def totp_secret(alice) -> str:
    secret = generate_totp_secret()
    TOTP.activate(alice, secret)
    return secret


@pytest.fixture
def sso_only(as_alice, worked, alice, totp_secret, form) -> SignIn:
    response = as_alice.post(
        "/settings/sign-in/", {**form, "mode": "sso", "client_secret": "", "break_glass": [alice.pk]}
    )
    assert response.status_code == 302, response.content.decode()
    return SignIn.objects.get(pk=worked.pk)


def test_sso_only_waits_until_the_provider_has_worked(as_alice, tenant_a, form):
    response = as_alice.post("/settings/sign-in/", {**form, "mode": "sso"})
    assert "offered once someone has signed in through this provider" in response.content.decode()
    assert not SignIn.objects.filter(tenant=tenant_a, mode="sso").exists()


def test_the_page_counts_the_members_sso_only_would_shut_out(as_alice, worked, alice, bob):
    page = as_alice.get("/settings/sign-in/").content.decode()
    assert "2 active members have never signed in through Acme Corp" in page


def test_sso_only_needs_a_break_glass_admin_with_totp(as_alice, worked, alice, bob, form):
    sso = {**form, "mode": "sso", "client_secret": ""}
    assert "Name at least one break-glass admin" in as_alice.post("/settings/sign-in/", sso).content.decode()
    said = as_alice.post("/settings/sign-in/", {**sso, "break_glass": [alice.pk]}).content.decode()
    assert "has no authenticator app (TOTP) yet" in said
    said = as_alice.post("/settings/sign-in/", {**sso, "break_glass": [bob.pk]}).content.decode()
    assert "Only this tenant&#x27;s active admins can be break-glass admins." in said  # nor offered
    assert SignIn.objects.get(pk=worked.pk).mode == "both"


def test_members_cannot_use_passwords_but_keys_keep_working(sso_only, tenant_a, alice, bob):
    page = Client(HTTP_HOST="acme.localhost").get("/accounts/login/").content.decode()
    assert "Sign in with Acme Corp" in page and 'name="password"' not in page
    assert (
        'name="password"'
        in Client(HTTP_HOST="acme.localhost").get("/accounts/login/?password=1").content.decode()
    )
    for path in ("/accounts/signup/", "/accounts/password/reset/"):
        off = Client(HTTP_HOST="acme.localhost").get(path)
        assert off.status_code == 403 and "does not use passwords" in off.content.decode()

    client = client_for("acme.localhost")
    response = client.post("/accounts/login/", {"login": bob.email, "password": PASSWORD}, follow=True)
    assert "signs in through its organisation&#x27;s single sign-on only" in response.content.decode()
    assert "_auth_user_id" not in client.session

    basic = base64.b64encode(f"{bob.email}:{PASSWORD}".encode()).decode()
    refused = Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert refused.status_code == 401
    _, key = make_key(bob, tenant_a)
    assert exchange(key).status_code == 200  # pipelines keep working


def test_a_break_glass_admin_signs_in_with_password_and_totp_and_it_is_an_event(
    sso_only, tenant_a, alice, totp_secret
):
    client = client_for("acme.localhost")
    step = client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    assert step.status_code == 302 and "2fa" in step["Location"]  # the second factor, always
    code = format_hotp_value(hotp_value(totp_secret, int(time.time()) // 30))
    client.post(step["Location"], {"code": code})
    assert client.session.get("_auth_user_id") == str(alice.pk)
    assert Event.objects.filter(tenant=tenant_a, action="sso.break_glass", target_label=str(alice)).exists()


def test_another_provider_must_work_again_before_it_is_the_only_way_in(as_alice, sso_only, form):
    response = as_alice.post("/settings/sign-in/", {**form, "mode": "sso", "client_id": "new-client"})
    assert "offered once someone has signed in through this provider" in response.content.decode()
    assert SignIn.objects.get(pk=sso_only.pk).client_id == "portal"  # nothing changed


def test_a_break_glass_admin_no_longer_an_admin_is_no_longer_one(sso_only, as_bob, tenant_a, alice, bob):
    from accounts.models import Membership, Role

    MembershipFactory(tenant=tenant_a, user=UserFactory(email="second@acme.test"), role=Role.ADMIN)
    Membership.objects.filter(tenant=tenant_a, user=alice).update(role=Role.MEMBER)
    client = client_for("acme.localhost")
    response = client.post(
        "/accounts/login/?password=1", {"login": alice.email, "password": PASSWORD}, follow=True
    )
    assert "single sign-on only" in response.content.decode() and "_auth_user_id" not in client.session


def test_sessions_from_before_the_switch_end_and_a_sign_in_half_done_does_not_finish(
    as_alice, worked, alice, bob, totp_secret, form
):
    earlier = client_for("acme.localhost", bob)  # signed in with a password while passwords worked
    assert earlier.get("/profile/").status_code == 200
    carol = UserFactory(email="carol@acme.test")
    MembershipFactory(tenant=worked.tenant, user=carol)
    carol_secret = generate_totp_secret()
    TOTP.activate(carol, carol_secret)
    halfway = client_for("acme.localhost")
    step = halfway.post("/accounts/login/", {"login": carol.email, "password": PASSWORD})
    assert "2fa" in step["Location"]  # the password was right; the code is still to come

    as_alice.post(
        "/settings/sign-in/", {**form, "mode": "sso", "client_secret": "", "break_glass": [alice.pk]}
    )
    assert SignIn.objects.get(pk=worked.pk).sso_only
    ended = earlier.get("/profile/")
    assert ended.status_code == 302 and "/accounts/login/" in ended["Location"]
    assert "_auth_user_id" not in earlier.session
    code = format_hotp_value(hotp_value(carol_secret, int(time.time()) // 30))
    halfway.post(step["Location"], {"code": code})
    assert "_auth_user_id" not in halfway.session
    assert as_alice.get("/profile/").status_code == 200  # a break-glass admin's session stays


def test_sign_up_and_reset_are_off_by_any_method_and_admin_is_not_on_this_host(
    sso_only, tenant_a, bob, settings, mailoutbox
):
    from accounts.models import User

    visitor = Client(HTTP_HOST="acme.localhost")
    signup = visitor.post(
        "/accounts/signup/", {"email": "mallory@acme.test", "password1": "x" * 20, "password2": "x" * 20}
    )
    assert signup.status_code == 403 and not User.objects.filter(email="mallory@acme.test").exists()
    reset = visitor.post("/accounts/password/reset/", {"email": bob.email})
    assert reset.status_code == 403 and mailoutbox == []
    settings.PORTAL_ADMIN_ON_TENANT_HOSTS = True
    assert visitor.get("/admin/login/").status_code == 404


def test_a_password_token_from_before_is_not_refreshed(as_alice, worked, alice, bob, totp_secret, form):
    basic = base64.b64encode(f"{bob.email}:{PASSWORD}".encode()).decode()
    issued = Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert issued.status_code == 200
    as_alice.post(
        "/settings/sign-in/", {**form, "mode": "sso", "client_secret": "", "break_glass": [alice.pk]}
    )
    refresh = bearer(issued.json()["token"]).post("/api/tokens:refresh")
    assert refresh.status_code == 403 and refresh.json()["code"] == "not_refreshable"


def test_a_secret_rotates_in_sso_only_mode_and_the_operators_can_give_passwords_back(
    as_alice, sso_only, alice, form
):
    rotated = {**form, "mode": "sso", "client_secret": "the-next-secret", "break_glass": [alice.pk]}
    assert as_alice.post("/settings/sign-in/", rotated).status_code == 302  # break-glass admins stay the net
    out = io.StringIO()
    call_command("sso_passwords", "acme.localhost", stdout=out)
    assert "passwords work again" in out.getvalue()
    assert SignIn.objects.get(pk=sso_only.pk).mode == "both"
    assert Event.objects.filter(action="signin.update", actor_email="system").exists()
