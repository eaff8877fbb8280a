"""Single sign-on only: passwords sign in nobody but the break-glass admins (with TOTP); password
sign-up, reset and token exchange are off; API keys keep working. Offered once the provider has
worked, and only with a break-glass admin."""

import base64
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client
from django.utils import timezone

from accounts.models import Event
from sso.models import SignIn
from tests.conftest import client_for
from tests.helpers import exchange, make_key

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
