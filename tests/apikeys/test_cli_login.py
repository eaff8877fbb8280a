"""`portal login`'s server side: the browser's yes turns into a token only for the CLI that
asked (its PKCE verifier, or its device code), once, within minutes, at its own tenant."""

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Event, Membership
from apikeys.models import CliGrant
from sso.models import SignIn
from tests.conftest import client_for
from tests.helpers import bearer

TOKEN = "/api/cli/token"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _allow(browser: Client, challenge: str, state: str = "st4te", port: int = 53111):
    query = {"port": port, "challenge": challenge, "state": state, "name": "lab-laptop"}
    page = browser.get("/cli/login", query)
    assert page.status_code == 200 and "lab-laptop" in page.content.decode()
    assert "http://127.0.0.1:53111" in page["Content-Security-Policy"]  # the form's answer leads there
    answer = browser.post("/cli/login", {**query, "answer": "allow"})
    assert answer.status_code == 302 and answer["Location"].startswith(f"http://127.0.0.1:{port}/callback?")
    said = parse_qs(urlsplit(answer["Location"]).query)
    assert said["state"] == [state]
    return said["code"][0]


def _redeem(code: str, verifier: str, host: str = "acme.localhost"):
    body = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    return Client(HTTP_HOST=host).post(TOKEN, body, content_type="application/json")


def test_the_cli_that_asked_gets_a_token_once(alice, tenant_a):
    verifier, challenge = _pkce()
    code = _allow(client_for("acme.localhost", alice), challenge)
    assert _redeem(code, secrets.token_urlsafe(48)).status_code == 400  # someone without the verifier
    answer = _redeem(code, verifier)
    assert answer.status_code == 200, answer.content
    jwt = answer.json()["token"]
    assert bearer(jwt).get("/api/me").json()["email"] == alice.email
    assert _redeem(code, verifier).status_code == 400  # once
    event = Event.objects.get(tenant=tenant_a, action="cli.login")
    assert event.data == {"kind": "loopback", "label": "lab-laptop"}


def test_a_code_is_its_tenants_and_its_minutes(alice, charlie, tenant_a):
    verifier, challenge = _pkce()
    code = _allow(client_for("acme.localhost", alice), challenge)
    assert _redeem(code, verifier, host="globex.localhost").status_code == 400
    CliGrant.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _redeem(code, verifier).status_code == 400


def test_cancelling_sends_the_cli_a_refusal_and_no_code(alice):
    _, challenge = _pkce()
    browser = client_for("acme.localhost", alice)
    query = {"port": 53111, "challenge": challenge, "state": "s", "answer": "deny"}
    answer = browser.post("/cli/login", query)
    assert parse_qs(urlsplit(answer["Location"]).query) == {"error": ["access_denied"], "state": ["s"]}
    assert not CliGrant.objects.exists()


@pytest.mark.parametrize(
    "query",
    [{"port": 80}, {"port": "x"}, {"challenge": "short"}, {"state": ""}],
    ids=["port", "nan", "pkce", "state"],
)
def test_a_link_the_cli_did_not_make_is_refused(alice, query):
    _, challenge = _pkce()
    full = {"port": 53111, "challenge": challenge, "state": "s", **query}
    browser = client_for("acme.localhost", alice)
    assert browser.get("/cli/login", full).status_code == 400
    assert browser.post("/cli/login", {**full, "answer": "allow"}).status_code == 400
    assert not CliGrant.objects.exists()


def test_only_a_signed_in_active_member_can_say_yes(alice, bob, tenant_a):
    _, challenge = _pkce()
    query = {"port": 53111, "challenge": challenge, "state": "s"}
    assert Client(HTTP_HOST="acme.localhost").get("/cli/login", query).status_code == 302  # to sign in
    Membership.objects.filter(user=bob, tenant=tenant_a).update(is_active=False)
    assert (
        client_for("acme.localhost", bob).post("/cli/login", {**query, "answer": "allow"}).status_code
        in (302, 403)  # deactivated: out, or told so
    )
    assert not CliGrant.objects.exists()


def test_a_device_code_waits_for_the_person_then_gives_a_token_once(alice, tenant_a):
    device = Client(HTTP_HOST="acme.localhost")
    started = device.post("/api/cli/device", {"name": "sequencer-7"}, content_type="application/json").json()
    assert started["verification_uri"] == "http://acme.localhost/cli/device"
    poll = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": started["device_code"],
    }
    waiting = device.post(TOKEN, poll, content_type="application/json")
    assert waiting.status_code == 400 and waiting.json()["code"] == "authorization_pending"

    browser = client_for("acme.localhost", alice)
    shown = browser.get("/cli/device", {"code": started["user_code"].lower().replace("-", "")})
    assert "sequencer-7" in shown.content.decode()
    done = browser.post("/cli/device", {"user_code": started["user_code"]})
    assert done.status_code == 302 and browser.get(done["Location"]).status_code == 200
    answer = device.post(TOKEN, poll, content_type="application/json")
    assert (
        answer.status_code == 200
        and bearer(answer.json()["token"]).get("/api/me").json()["email"] == alice.email
    )
    assert device.post(TOKEN, poll, content_type="application/json").status_code == 400  # once
    assert (
        browser.post("/cli/device", {"user_code": started["user_code"]}).status_code == 302
    )  # nothing to do
    assert Event.objects.filter(tenant=tenant_a, action="cli.login").count() == 1


def test_a_device_code_is_not_found_at_another_tenant(alice, charlie):
    device = Client(HTTP_HOST="acme.localhost")
    started = device.post("/api/cli/device", {}, content_type="application/json").json()
    globex = client_for("globex.localhost", charlie)
    assert globex.get("/cli/device", {"code": started["user_code"]}).status_code == 400
    globex.post("/cli/device", {"user_code": started["user_code"]})
    assert not CliGrant.objects.filter(approved_at__isnull=False).exists()


def test_a_browser_sign_in_token_refreshes_while_its_session_lasts(alice, tenant_a):
    verifier, challenge = _pkce()
    jwt = _redeem(_allow(client_for("acme.localhost", alice), challenge), verifier).json()["token"]
    refreshed = bearer(jwt).post("/api/tokens:refresh")
    assert refreshed.status_code == 200, refreshed.content
    CliGrant.objects.all().delete()
    Membership.objects.filter(user=alice, tenant=tenant_a).update(is_active=False)
    assert bearer(refreshed.json()["token"]).post("/api/tokens:refresh").status_code == 401


def test_a_yes_given_before_the_tenant_went_sso_only_yields_no_password_token(alice, tenant_a):
    verifier, challenge = _pkce()
    code = _allow(client_for("acme.localhost", alice), challenge)  # a password session said yes
    SignIn.objects.create(
        tenant=tenant_a, mode="sso", protocol="oidc", issuer="https://idp.test", client_id="x"
    )
    answer = _redeem(code, verifier)
    assert answer.status_code == 400 and "identity provider only" in answer.content.decode()


def test_typing_device_codes_is_limited_per_person(alice, tenant_a, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "cli-code-user": "3/h"}
    started = (
        Client(HTTP_HOST="acme.localhost").post("/api/cli/device", {}, content_type="application/json").json()
    )
    browser = client_for("acme.localhost", alice)
    for guess in ("BBBB-BBBB", "CCCC-CCCC", "DDDD-DDDD"):
        browser.post("/cli/device", {"user_code": guess})
    browser.post("/cli/device", {"user_code": started["user_code"]})  # right, but one too many
    assert not CliGrant.objects.filter(approved_at__isnull=False).exists()


def test_the_approval_page_says_where_and_when_the_cli_asked(alice):
    device = Client(HTTP_HOST="acme.localhost", REMOTE_ADDR="203.0.113.9")
    started = device.post("/api/cli/device", {"name": "IT-helpdesk"}, content_type="application/json").json()
    page = client_for("acme.localhost", alice).get("/cli/device", {"code": started["user_code"]})
    shown = page.content.decode()
    assert "203.0.113.9" in shown and "not this browser" in shown and "IT-helpdesk" in shown
