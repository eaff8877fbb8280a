"""`portal login --sso` end to end: the CLI in a process of its own, Chromium signing in through
the tenant's SAML identity provider (pysaml2, in its own process too), single sign-on only."""

import io
import os
import re
import subprocess
import sys
import time

import pytest
import yaml
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import Role
from sso.models import SignIn
from sso.services import signin_update
from sso.services.settings import Provider
from tests.conftest import change_tenant
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.helpers import actor
from tests.processes import SamlProvider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEOPLE = [
    {"email": "rosalind@acme.test", "password": "idp-pass", "first_name": "Rosalind", "subject": "rf-1"}
]


@pytest.fixture
def sso_only(live_server, tmp_path):
    """Acme at http://localhost:PORT (a name the CLI resolves), signing in through pysaml2 only."""
    tenant = TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")
    admin = UserFactory(email="alice@acme.test")
    MembershipFactory(tenant=tenant, user=admin, role=Role.ADMIN)
    change_tenant(tenant, domain="localhost")
    call_command("sso_domains", "localhost", "--add", "acme.test", stdout=io.StringIO())
    running = SamlProvider(tmp_path, people=PEOPLE)
    provider = Provider(protocol="saml", metadata_xml=running.idp.metadata(), claims={"email": "email"})
    signin_update(
        tenant=tenant, by=actor(admin, tenant), mode="both", organisation="Acme Corp", provider=provider
    )
    SignIn.objects.filter(tenant=tenant).update(mode="sso")  # as if tried, with a break-glass admin
    yield running
    running.stop()


def _portal(home, *args) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DJANGO_"))}
    return subprocess.Popen(
        [sys.executable, "-m", "portal_cli", *args], cwd=ROOT, env={**env, "HOME": str(home)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _said(process: subprocess.Popen, pattern: str) -> re.Match:
    """Read the CLI's stderr until a line matches."""
    deadline = time.monotonic() + 60
    seen = ""
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        seen += line
        if match := re.search(pattern, line):
            return match
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"the CLI never said {pattern!r}: {seen}")


def _register_us(page, live_server, saml_idp) -> None:
    """The IdP admin registers the tenant's service provider metadata."""
    signin = SignIn.objects.get()
    response = page.request.get(f"{live_server.url}/accounts/saml/{signin.provider_id}/metadata/")
    assert response.ok, response.text()
    saml_idp.idp.register(response.text())


def test_portal_login_sso_signs_the_cli_in_through_the_identity_provider(
    page, live_server, sso_only, tmp_path
):
    _register_us(page, live_server, sso_only)
    home = tmp_path / "home"
    home.mkdir()
    cli = _portal(home, "login", "--sso", "--no-browser", "-s", live_server.url)
    url = _said(cli, r"(http://\S+/cli/login\?\S+)")[1]
    page.goto(url)  # not signed in: the tenant's sign-in, which is its provider only
    page.get_by_role("button", name="Sign in with Acme Corp").click()
    page.get_by_label("Email").fill("rosalind@acme.test")
    page.get_by_label("Password").fill("idp-pass")
    page.get_by_role("button", name="Sign in at the IdP").click()
    expect(page.get_by_role("heading", name="Sign the portal CLI in")).to_be_visible()
    page.get_by_role("button", name="Allow the CLI").click()
    expect(page.locator("body")).to_contain_text("back to the terminal")
    assert cli.wait(timeout=60) == 0, cli.stderr.read()
    assert "Signed in as rosalind@acme.test at Acme Genomics." in cli.stderr.read()

    session = yaml.safe_load((home / ".portal" / "session.yaml").read_text())
    assert session["signed-in"] is True
    me = _portal(home, "me", "-s", live_server.url, "-o", "json")  # no API key: the login's token
    out, err = me.communicate(timeout=60)
    assert me.returncode == 0 and "rosalind@acme.test" in out, err

    device = _portal(home, "login", "--device", "-s", live_server.url)  # a second computer, no browser
    complete = _said(device, r"\(or open (http://\S+)\)")[1]
    page.goto(complete)  # still signed in, through the provider
    page.get_by_role("button", name="Allow the CLI").click()
    expect(page.get_by_role("status")).to_contain_text("is signed in as you")
    assert device.wait(timeout=60) == 0, device.stderr.read()
