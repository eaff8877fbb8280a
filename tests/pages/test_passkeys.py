"""Passkeys in Chromium with a virtual authenticator (Chrome DevTools Protocol, WebAuthn domain):
one is registered through allauth's pages, then used as the second factor after a password, and
to sign in alone only where the tenant allows it. A passkey belongs to the host it was made at."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.conftest import change_tenant
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory
from tests.pages.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme():
    tenant = TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")
    MembershipFactory(tenant=tenant, user=UserFactory(email="alice@acme.test"), role=Role.ADMIN)
    return tenant


def virtual_authenticator(page) -> None:
    """A platform authenticator that holds discoverable credentials and verifies its user."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }  # fmt: skip
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def sign_out(page) -> None:
    page.locator("#profile-menu summary").click()
    page.get_by_role("link", name="Sign out").click()
    page.locator("main").get_by_role("button", name="Sign out").click()


def register_passkey(page, tenant_url) -> None:
    page.goto(tenant_url("acme.localhost", "/accounts/2fa/webauthn/add/"))
    page.get_by_label("Password").fill(PASSWORD)  # allauth asks again before adding a factor
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Name").fill("Lab laptop")
    page.get_by_label("Passwordless").check()
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("main")).to_contain_text("Security key added.")


def test_a_passkey_is_a_second_factor_and_signs_in_alone_only_where_allowed(page, tenant_url, acme):
    virtual_authenticator(page)
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test", PASSWORD)
    register_passkey(page, tenant_url)
    sign_out(page)

    # Not allowed to sign in alone here: no button; after the password it is the second factor.
    page.goto(tenant_url("acme.localhost", "/accounts/login/"))
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_have_count(0)
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test", PASSWORD)
    page.get_by_role("button", name="Use a security key").click()
    expect(page.get_by_role("heading", name="Acme Genomics")).to_be_visible()
    sign_out(page)

    change_tenant(acme, passkey_login=True)
    page.goto(tenant_url("acme.localhost", "/accounts/login/"))
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", name="Acme Genomics")).to_be_visible()
    expect(page.locator("#profile-menu summary")).to_contain_text("alice@acme.test")


def test_a_passkey_signing_in_alone_is_refused_where_the_tenant_does_not_allow_it(page, tenant_url, acme):
    virtual_authenticator(page)
    change_tenant(acme, passkey_login=True)
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test", PASSWORD)
    register_passkey(page, tenant_url)
    sign_out(page)
    page.goto(tenant_url("acme.localhost", "/accounts/login/"))  # the button, from before the change
    change_tenant(acme, passkey_login=False)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert").or_(page.locator(".messages"))).to_contain_text(
        "At Acme Genomics a passkey is a second factor: sign in with your password first."
    )
    expect(page.locator("input[name=password]")).to_be_visible()  # not signed in


def test_a_passkey_made_at_one_tenant_signs_in_nobody_at_another(page, tenant_url, acme):
    virtual_authenticator(page)
    globex = TenantFactory(name="Globex Labs", slug="globex", domain="globex.localhost", passkey_login=True)
    MembershipFactory(tenant=globex, user=acme.memberships.get().user)  # the same person, both tenants
    change_tenant(acme, passkey_login=True)
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test", PASSWORD)
    register_passkey(page, tenant_url)
    page.goto(tenant_url("globex.localhost", "/accounts/login/"))
    page.get_by_role("button", name="Sign in with a passkey").click()  # the browser has none for this host
    page.wait_for_timeout(1500)
    page.goto(tenant_url("globex.localhost", "/apikeys/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))  # nobody signed in there
