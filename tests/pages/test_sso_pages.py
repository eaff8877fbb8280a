"""A tenant's own identity provider (OpenID Connect), end to end in Chromium against a real one
(django-allauth's allauth.idp.oidc in a process of its own, tests/oidc_provider/): the admin sets
it up on Settings → Sign-in, people sign in through it, their accounts are made just in time."""

import io
import re

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import Event, Membership, Role, User
from sso import services
from sso.models import SignIn
from sso.services.settings import Provider
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.helpers import actor
from tests.pages.conftest import sign_in, snap
from tests.processes import OidcProvider, free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "idp-password-of-the-tests"
PEOPLE = [
    {"email": "rosalind@acme.test", "password": PASSWORD, "verified": True, "first_name": "Rosalind"},
    {"email": "unverified@acme.test", "password": PASSWORD, "verified": False},
    {"email": "bob@acme.test", "password": PASSWORD, "verified": True},
    {"email": "guest@elsewhere.test", "password": PASSWORD, "verified": True},
]  # fmt: skip


@pytest.fixture
def acme():
    tenant = TenantFactory(
        name="Acme Genomics", slug="acme", domain="acme.localhost",
        signup_mode="invite-only", allowed_email_domains=["acme.test"],
    )  # fmt: skip
    MembershipFactory(tenant=tenant, user=UserFactory(email="alice@acme.test"), role=Role.ADMIN)
    MembershipFactory(tenant=tenant, user=UserFactory(email="bob@acme.test"))  # a password account
    call_command("sso_domains", "acme.localhost", "--add", "acme.test", stdout=io.StringIO())  # the operators
    return tenant


def _configure(page, tenant_url, tmp_path) -> OidcProvider:
    """Alice sets the provider up on the page; the provider learns the redirect URI it shows."""
    port = free_port()  # where the provider will listen: its issuer is known before it starts
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test")
    page.goto(tenant_url("acme.localhost", "/settings/sign-in/"))
    expect(page.locator("#verified-domains")).to_contain_text("acme.test")
    page.get_by_label("Password, or the organisation's single sign-on").check()
    page.get_by_role("button", name="Save sign-in").click()
    expect(page.locator(".error")).to_contain_text("needs the identity provider's issuer URL")
    page.get_by_label("Issuer URL").fill(f"http://127.0.0.1:{port}")
    page.get_by_label("Client ID").fill("portal-client")
    page.get_by_role("button", name="Save sign-in").click()
    expect(page.locator(".error")).to_contain_text("discovery document could not be read")  # not up yet
    page.get_by_label("Password only").check()
    page.get_by_role("button", name="Save sign-in").click()
    callback = page.get_by_label("Redirect URI to register at the identity provider").input_value()
    provider = OidcProvider(tmp_path, redirect_uris=[callback], people=PEOPLE, port=port)
    page.get_by_label("Password, or the organisation's single sign-on").check()
    page.get_by_label("Organisation", exact=True).fill("Acme Corp")
    page.get_by_label("Client secret").fill(provider.client_secret)
    page.get_by_role("button", name="Save sign-in").click()
    expect(page.locator(".messages")).to_contain_text("Sign-in settings of Acme Genomics saved.")
    expect(page.locator("#secret-stored")).to_be_visible()
    assert page.get_by_label("Redirect URI to register at the identity provider").input_value() == callback
    assert provider.client_secret not in page.content()
    snap(page, "sign-in-settings")
    return provider


def _through_the_provider(browser, tenant_url, email: str):
    """A new visitor signs in at Acme with the provider; the page where they end up."""
    page = browser.new_context().new_page()
    page.goto(tenant_url("acme.localhost", "/accounts/login/"))
    page.get_by_role("button", name="Sign in with Acme Corp").click()
    page.fill("input[name=login]", email)  # the provider's own sign-in page
    page.fill("input[name=password]", PASSWORD)
    page.locator("form").get_by_role("button", name="Sign In").click()
    return page


def test_people_sign_in_through_the_tenants_identity_provider(page, browser, tenant_url, acme, tmp_path):
    provider = _configure(page, tenant_url, tmp_path)
    try:
        visitor = _through_the_provider(browser, tenant_url, "rosalind@acme.test")
        expect(visitor.get_by_role("heading", name="Acme Genomics")).to_be_visible()  # home, signed in
        rosalind = User.objects.get(email="rosalind@acme.test")
        assert Membership.objects.get(tenant=acme, user=rosalind).role == Role.MEMBER
        assert rosalind.emailaddress_set.get().verified  # the provider said so, in an allowed domain
        assert SignIn.objects.get(tenant=acme).worked_at is not None  # SSO only may now be chosen
        signed_in = Event.objects.get(tenant=acme, action="sso.sign_in")
        assert (signed_in.actor_email, signed_in.data["issuer"]) == (rosalind.email, provider.issuer)
        assert Event.objects.filter(
            tenant=acme, action="sso.account_create", target_label=rosalind.email
        ).exists()
        assert (
            Event.objects.get(
                tenant=acme, action="member.join", target_label__startswith=rosalind.email
            ).data["via"]
            == "sso"
        )

        # The provider does not vouch for this address: no account.
        refused = _through_the_provider(browser, tenant_url, "unverified@acme.test")
        expect(refused.get_by_role("heading", name="Not signed in")).to_be_visible()
        expect(refused.locator("main")).to_contain_text("only addresses that Acme Corp says are verified")
        assert not User.objects.filter(email="unverified@acme.test").exists()

        # A password account with the same address is linked, since the provider vouches for it
        # in a domain the operators verified as Acme's; its address was verified, so the password
        # stays (an unverified one's would be wiped: whoever made that account could be another).
        bob = _through_the_provider(browser, tenant_url, "bob@acme.test")
        expect(bob.get_by_role("status")).to_contain_text("Successfully signed in as bob@acme.test")
        bob_user = User.objects.get(email="bob@acme.test")
        assert SocialAccount.objects.filter(user=bob_user).exists() and bob_user.has_usable_password()

        # Signing out ends the session here and goes on to the provider's end-session endpoint
        # (RP-initiated logout, from its discovery document).
        end_session = SignIn.objects.get(tenant=acme).end_session_url
        assert end_session.startswith(provider.issuer)
        bob.locator("#profile-menu summary").click()
        bob.get_by_role("link", name="Sign out").click()
        with bob.expect_request(lambda request: request.url.startswith(end_session)) as logout:
            bob.locator("main").get_by_role("button", name="Sign out").click()
        assert "client_id=portal-client" in logout.value.url
        bob.goto(tenant_url("acme.localhost", "/apikeys/"))
        expect(bob).to_have_url(re.compile(r"/accounts/login/"))

        # Verified by the provider, but in a domain nobody verified as Acme's: no account at all
        # (accounts are global: one tenant's provider must not make one another tenant trusts).
        guest = _through_the_provider(browser, tenant_url, "guest@elsewhere.test")
        expect(guest.get_by_role("heading", name="Not signed in")).to_be_visible()
        assert not User.objects.filter(email="guest@elsewhere.test").exists()

        # An account the provider made signs in again only while its address is in a verified domain.
        rosalind.email = "rosalind@elsewhere.test"
        rosalind.save()
        again = _through_the_provider(browser, tenant_url, "rosalind@acme.test")
        expect(again.get_by_role("heading", name="Not signed in")).to_be_visible()
        again.goto(tenant_url("acme.localhost", "/apikeys/"))
        expect(again).to_have_url(re.compile(r"/accounts/login/"))

        # Another tenant's sign-in page offers no provider of Acme's.
        TenantFactory(name="Globex Labs", slug="globex", domain="globex.localhost")
        other = browser.new_context().new_page()
        other.goto(tenant_url("globex.localhost", "/accounts/login/"))
        expect(other.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
        expect(other.locator("#sso-sign-in")).to_have_count(0)
    finally:
        provider.stop()


@pytest.mark.parametrize("tamper", ["aud", "iss", "exp", "nonce", "email_verified"])
def test_a_provider_that_gets_a_claim_wrong_signs_nobody_in(browser, tenant_url, acme, tmp_path, tamper):
    """A provider that gets the audience, issuer, expiry or nonce wrong, or says email_verified "false"
    (a string), as an attacker's or a broken one would: no account, no session."""
    port, admin = free_port(), actor(User.objects.get(email="alice@acme.test"), acme)
    issuer = f"http://127.0.0.1:{port}"
    signin = services.signin_update(
        tenant=acme, by=admin, mode="password", provider=Provider(issuer=issuer, client_id="portal-client")
    )
    callback = tenant_url("acme.localhost", f"/accounts/oidc/{signin.provider_id}/login/callback/")
    provider = OidcProvider(tmp_path, redirect_uris=[callback], people=PEOPLE, tamper=tamper, port=port)
    try:
        given = Provider(issuer=issuer, client_id=provider.client_id, client_secret=provider.client_secret)
        services.signin_update(tenant=acme, by=admin, mode="both", organisation="Acme Corp", provider=given)
        visitor = _through_the_provider(browser, tenant_url, "rosalind@acme.test")
        heading = "Not signed in" if tamper in ("email_verified", "nonce") else "Third-party login failure"
        expect(visitor.get_by_role("heading", name=heading)).to_be_visible()
        assert not User.objects.filter(email="rosalind@acme.test").exists()
        visitor.goto(tenant_url("acme.localhost", "/apikeys/"))
        expect(visitor).to_have_url(re.compile(r"/accounts/login/"))
    finally:
        provider.stop()
