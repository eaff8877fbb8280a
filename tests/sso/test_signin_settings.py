"""Settings → Sign-in: a tenant admin sets the tenant's identity provider; its client secret is
sealed at rest and never shown; each host offers its own tenant's provider and no other."""

import pytest
from django.test import Client

from accounts.models import Event
from core import sealed
from sso.models import SignIn
from tests.conftest import client_for

FORM = {
    "mode": "both",
    "organisation": "Acme Corp",
    "issuer": "https://login.acme.test/tenant/",
    "client_id": "portal",
    "client_secret": "s3cret-from-the-provider",
    "scopes": "openid email profile",
}


def test_an_admin_sets_the_provider_and_its_secret_is_sealed_and_never_shown(as_alice, tenant_a):
    response = as_alice.post("/settings/sign-in/", FORM, follow=True)
    assert "Sign-in settings of Acme Genomics saved." in response.content.decode()
    signin = SignIn.objects.get(tenant=tenant_a)
    assert (signin.mode, signin.issuer, signin.client_id) == (
        "both",
        "https://login.acme.test/tenant",
        "portal",
    )
    assert FORM["client_secret"] not in signin.client_secret_sealed  # a database dump reads nothing
    assert sealed.unseal(signin.client_secret_sealed) == FORM["client_secret"]
    page = as_alice.get("/settings/sign-in/").content.decode()
    assert FORM["client_secret"] not in page and "A secret is stored." in page
    assert f"/accounts/oidc/{signin.provider_id}/login/callback/" in page  # to register at the provider

    as_alice.post("/settings/sign-in/", {**FORM, "client_secret": "", "organisation": "Acme"})
    signin.refresh_from_db()
    assert sealed.unseal(signin.client_secret_sealed) == FORM["client_secret"]  # blank keeps it
    events = Event.objects.filter(tenant=tenant_a, action="signin.update").order_by("created_at")
    assert [e.data["changed"] for e in events] == [
        ["client_id", "issuer", "mode", "organisation", "client_secret"],
        ["organisation"],
    ]
    assert all(FORM["client_secret"] not in str(e.data) for e in events)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"issuer": ""}, "needs the identity provider&#x27;s issuer URL and client ID"),
        ({"client_secret": ""}, "needs the client secret the identity provider gave"),
        ({"scopes": "email profile"}, "The scopes must include openid."),
        ({"issuer": "not a url"}, "Give the issuer as a whole URL"),
    ],
)
def test_the_page_says_what_is_missing(as_alice, tenant_a, change, message):
    response = as_alice.post("/settings/sign-in/", {**FORM, **change})
    assert response.status_code == 400 and message in response.content.decode()
    assert not SignIn.objects.filter(tenant=tenant_a).exists()


def test_only_the_tenants_admins_see_its_sign_in_settings(as_bob, charlie, tenant_a):
    assert as_bob.get("/settings/sign-in/").status_code == 403
    assert as_bob.post("/settings/sign-in/", FORM).status_code == 403
    charlie_at_acme = client_for("acme.localhost", charlie)  # another tenant's admin, at this host
    assert charlie_at_acme.post("/settings/sign-in/", FORM).status_code in (302, 403)
    assert not SignIn.objects.exists()


def test_each_host_offers_its_own_tenants_provider_and_no_other(as_alice, tenant_a, tenant_b):
    as_alice.post("/settings/sign-in/", FORM)
    signin = SignIn.objects.get(tenant=tenant_a)
    acme = Client(HTTP_HOST="acme.localhost").get("/accounts/login/")
    assert "Sign in with Acme Corp" in acme.content.decode()
    assert "form-action 'self' https://login.acme.test" in acme["Content-Security-Policy"]

    globex = Client(HTTP_HOST="globex.localhost").get("/accounts/login/")
    assert "Sign in with" not in globex.content.decode()
    assert "login.acme.test" not in globex["Content-Security-Policy"]
    # Acme's provider, asked for at Globex's host: there is no such provider there.
    start = Client(HTTP_HOST="globex.localhost").post(f"/accounts/oidc/{signin.provider_id}/login/")
    assert start.status_code == 404
    assert "login.acme.test" not in start.get("Location", "")


def test_back_to_passwords_only_takes_the_button_away(as_alice, tenant_a):
    as_alice.post("/settings/sign-in/", FORM)
    as_alice.post("/settings/sign-in/", {**FORM, "mode": "password", "client_secret": ""})
    assert "Sign in with" not in Client(HTTP_HOST="acme.localhost").get("/accounts/login/").content.decode()


def test_sealed_secrets_open_under_an_older_key_and_not_under_another(settings):
    settings.PORTAL_SEALING_KEY = "old-key"
    token = sealed.seal("the secret")
    settings.PORTAL_SEALING_KEY = "new-key, old-key"  # rotation: the new one seals, both open
    assert sealed.unseal(token) == "the secret"
    assert sealed.unseal(sealed.seal("again")) == "again"
    settings.PORTAL_SEALING_KEY = "someone-elses-key"
    with pytest.raises(sealed.Unreadable):
        sealed.unseal(token)
    with pytest.raises(sealed.Unreadable):
        sealed.unseal(token[:-4] + "AAAA")
