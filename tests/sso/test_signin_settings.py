"""Settings → Sign-in: a tenant admin sets the tenant's identity provider; its client secret is
sealed at rest and never shown; each host offers its own tenant's provider and no other."""

import http.server
import io
import socket
import threading
import time

import pytest
import requests
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Event
from core import sealed
from core.errors import Forbidden
from sso import fetch, services
from sso.models import SignIn
from tests.conftest import client_for
from tests.helpers import actor
from tests.sso.conftest import FORM


def test_an_admin_sets_the_provider_and_its_secret_is_sealed_and_never_shown(
    as_alice, tenant_a, form, provider
):
    response = as_alice.post("/settings/sign-in/", form, follow=True)
    assert "Sign-in settings of Acme Genomics saved." in response.content.decode()
    signin = SignIn.objects.get(tenant=tenant_a)
    assert (signin.mode, signin.issuer, signin.client_id) == ("both", provider.issuer, "portal")
    assert signin.authorization_origin == provider.issuer  # from its discovery document
    assert FORM["client_secret"] not in signin.client_secret_sealed  # a database dump reads nothing
    assert sealed.unseal(signin.client_secret_sealed) == FORM["client_secret"]
    page = as_alice.get("/settings/sign-in/").content.decode()
    assert FORM["client_secret"] not in page and "A secret is stored." in page
    assert f"/accounts/oidc/{signin.provider_id}/login/callback/" in page  # to register at the provider

    as_alice.post("/settings/sign-in/", {**form, "client_secret": "", "organisation": "Acme"})
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
        ({"client_secret": ""}, "Give the client secret the identity provider gave."),
        ({"scopes": "email profile"}, "The scopes must include openid."),
        ({"issuer": "not a url"}, "Give the issuer as a whole URL"),
        ({"issuer": "http://127.0.0.1:9/nothing-listens"}, "discovery document could not be read"),
    ],
)
def test_the_page_says_what_is_missing(as_alice, tenant_a, form, change, message):
    response = as_alice.post("/settings/sign-in/", {**form, **change})
    assert response.status_code == 400 and message in response.content.decode()
    assert not SignIn.objects.filter(tenant=tenant_a).exists()


def test_only_the_tenants_admins_see_its_sign_in_settings(as_bob, charlie, tenant_a, form):
    assert as_bob.get("/settings/sign-in/").status_code == 403
    assert as_bob.post("/settings/sign-in/", form).status_code == 403
    charlie_at_acme = client_for("acme.localhost", charlie)  # another tenant's admin, at this host
    assert charlie_at_acme.post("/settings/sign-in/", form).status_code in (302, 403)
    assert not SignIn.objects.exists()


def test_only_the_operators_verify_a_tenants_domains(as_alice, alice, tenant_a, tenant_b, form):
    as_alice.post("/settings/sign-in/", {**form, "verified_domains": "globex.test"})  # not a field
    assert SignIn.objects.get(tenant=tenant_a).verified_domains == []
    with pytest.raises(Forbidden):
        services.signin_domains_set(tenant=tenant_a, domains=["globex.test"], by=actor(alice, tenant_a))
    out = io.StringIO()
    call_command("sso_domains", "acme.localhost", "--add", "Acme.test", "@lab.acme.test", stdout=out)
    assert out.getvalue().strip() == "acme.localhost: acme.test, lab.acme.test"
    assert Event.objects.get(tenant=tenant_a, action="signin.domains").data["domains"] == [
        "acme.test",
        "lab.acme.test",
    ]
    assert "acme.test, lab.acme.test" in as_alice.get("/settings/sign-in/").content.decode()
    with pytest.raises(CommandError, match=r"acme\.test is verified as acme\.localhost's already"):
        call_command("sso_domains", "globex.localhost", "--add", "acme.test", stdout=out)


def test_a_new_issuer_or_client_needs_the_secret_again_and_is_a_new_provider(as_alice, tenant_a, form):
    as_alice.post("/settings/sign-in/", form)
    before = SignIn.objects.get(tenant=tenant_a)
    response = as_alice.post("/settings/sign-in/", {**form, "client_id": "other", "client_secret": ""})
    assert "Give the client secret the identity provider gave again" in response.content.decode()
    after = SignIn.objects.get(tenant=tenant_a)
    assert sealed.unseal(after.client_secret_sealed) == FORM["client_secret"]  # unchanged, not sent anywhere
    as_alice.post("/settings/sign-in/", {**form, "client_id": "other", "client_secret": "new-secret"})
    after = SignIn.objects.get(tenant=tenant_a)
    assert sealed.unseal(after.client_secret_sealed) == "new-secret"
    assert after.provider_id != before.provider_id  # accounts the old one made are not this one's


@pytest.mark.parametrize(
    ("allow", "issuer", "message"),
    [
        ({"PORTAL_SSO_ALLOW_HTTP": False}, "{issuer}", "is not an https:// address"),
        ({"PORTAL_SSO_ALLOW_PRIVATE": False}, "{issuer}", "an address the portal does not reach"),
        ({}, "http://someone:pw@127.0.0.1:1", "carries a user name or password"),
    ],
)
def test_the_server_fetches_nothing_it_should_not(as_alice, tenant_a, form, settings, allow, issuer, message):
    for name, value in allow.items():
        setattr(settings, name, value)
    response = as_alice.post("/settings/sign-in/", {**form, "issuer": issuer.format(issuer=form["issuer"])})
    assert response.status_code == 400 and message in response.content.decode()


def test_each_host_offers_its_own_tenants_provider_and_no_other(as_alice, tenant_a, tenant_b, form, provider):
    as_alice.post("/settings/sign-in/", form)
    signin = SignIn.objects.get(tenant=tenant_a)
    for path in ("/accounts/login/", "/accounts/signup/"):
        acme = Client(HTTP_HOST="acme.localhost").get(path)
        assert "Sign in with Acme Corp" in acme.content.decode()
        assert f"form-action 'self' {provider.issuer}" in acme["Content-Security-Policy"]

    globex = Client(HTTP_HOST="globex.localhost").get("/accounts/login/")
    assert "Sign in with" not in globex.content.decode()
    assert provider.issuer not in globex["Content-Security-Policy"]
    # Acme's provider, asked for at Globex's host: there is no such provider there.
    start = Client(HTTP_HOST="globex.localhost").post(f"/accounts/oidc/{signin.provider_id}/login/")
    assert start.status_code == 404
    assert provider.issuer not in start.get("Location", "")


def test_a_secret_that_cannot_be_unsealed_hides_the_button_and_passwords_still_work(
    as_alice, tenant_a, form, settings
):
    as_alice.post("/settings/sign-in/", form)
    settings.PORTAL_SEALING_KEY = "a-key-the-secret-was-not-sealed-with"
    page = Client(HTTP_HOST="acme.localhost").get("/accounts/login/")
    assert page.status_code == 200 and "Sign in with" not in page.content.decode()


def test_back_to_passwords_only_takes_the_button_away(as_alice, tenant_a, form):
    as_alice.post("/settings/sign-in/", form)
    as_alice.post("/settings/sign-in/", {**form, "mode": "password", "client_secret": ""})
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


def test_what_allauth_fetches_from_a_provider_goes_nowhere_private_and_follows_no_redirect(
    provider, settings
):
    """The session sso.adapter gives allauth for discovery, token and userinfo requests."""
    answer = fetch.session().get(provider.issuer + "/accounts/email/")  # asks the visitor to sign in first
    assert answer.status_code == 302  # not followed
    settings.PORTAL_SSO_ALLOW_PRIVATE = False
    with pytest.raises(fetch.Refused, match="an address the portal does not reach"):
        fetch.session().get(provider.issuer + "/.well-known/openid-configuration")
    settings.PORTAL_SSO_ALLOW_HTTP = False
    with pytest.raises(fetch.Refused, match="not an https:// address"):
        fetch.session().get(provider.issuer + "/.well-known/openid-configuration")


def test_a_name_that_rebinds_to_a_private_address_after_the_check_is_refused_at_the_socket(
    provider, settings, monkeypatch
):
    """DNS rebinding: the attacker's name answers a public address to the check, then loopback to
    the connection (a record with no time to live). The socket's own peer is checked too."""
    settings.PORTAL_SSO_ALLOW_PRIVATE = False
    port = int(provider.issuer.rsplit(":", 1)[1])
    answers = iter(["93.184.215.14", "127.0.0.1", "127.0.0.1"])  # public once, then loopback
    real = socket.getaddrinfo

    def attackers_dns(host, *args, **kwargs):
        if host != "rebind.attacker.test":
            return real(host, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", attackers_dns)
    with pytest.raises(
        requests.ConnectionError, match=r"connected to 127\.0\.0\.1, an address the portal does not reach"
    ):
        fetch.session().get(f"http://rebind.attacker.test:{port}/.well-known/openid-configuration")


def test_sign_in_starts_are_limited_per_address(as_alice, tenant_a, form, settings):
    """Each start or callback makes the server ask the provider: not without end from one address."""
    as_alice.post("/settings/sign-in/", form)
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "sso-ip": "3/m"}
    url = f"/accounts/oidc/{SignIn.objects.get(tenant=tenant_a).provider_id}/login/"
    visitor = Client(HTTP_HOST="acme.localhost", REMOTE_ADDR="203.0.113.9")
    answers = [visitor.post(url).status_code for _ in range(5)]
    assert answers[:3] != [429] * 3 and answers[3:] == [429, 429]
    assert Client(HTTP_HOST="acme.localhost", REMOTE_ADDR="203.0.113.10").post(url).status_code != 429


@pytest.mark.parametrize(
    ("issuer", "message"),
    [
        ("{issuer}/.well-known/openid-configuration", "not its discovery document"),
        ("http://x.test;script-src%20*;:1", "Give the issuer as a whole URL"),
        ("http://127.0.0.1:99999", "names no port"),
    ],
)
def test_an_issuer_that_is_no_plain_address_is_refused(as_alice, tenant_a, form, issuer, message):
    response = as_alice.post(
        "/settings/sign-in/", {**form, "issuer": issuer.format(issuer=form["issuer"].rstrip("/"))}
    )
    assert response.status_code == 400 and message in response.content.decode()


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://x.test;script-src 'unsafe-inline' *;/authorize",
        "http://127.0.0.1:99999/authorize",
        "http://[::1",
    ],
)
def test_a_discovered_endpoint_that_is_no_plain_address_is_refused(endpoint):
    """Its origin goes into the sign-in page's CSP: only a host name or address, and a port."""
    with pytest.raises(fetch.Refused):
        fetch.check_url(endpoint)


def test_an_ipv6_endpoint_keeps_its_brackets_in_the_csp_origin():
    assert fetch.origin("http://[::1]:9911/authorize") == "http://[::1]:9911"


def test_a_provider_dripping_its_answer_holds_a_worker_no_longer_than_the_deadline(monkeypatch):
    monkeypatch.setattr(fetch, "DEADLINE", 1)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(fetch.Refused, match="too much, or too slowly"):
            fetch.session().get(f"http://127.0.0.1:{server.server_port}/")
        assert time.monotonic() - started < 3
    finally:
        server.shutdown()


class _Drip(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.3)
        except (BrokenPipeError, ConnectionResetError):  # the portal gave up on it, as it should
            pass

    def log_message(self, *args) -> None:
        pass
