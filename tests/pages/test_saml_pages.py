"""SAML sign-in end to end in Chromium, against pysaml2 serving as the identity provider in a
process of its own (tests/saml_idp/serve.py): the admin uploads its metadata and hands it ours,
people sign in through it (accounts and workgroups made from what it says), and signing out
signs out there too."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import Event, Membership, Role, User
from sso.models import SignIn
from tests.factories import MembershipFactory, TenantFactory, UserFactory, WorkgroupFactory
from tests.pages.conftest import sign_in, snap
from tests.processes import SamlProvider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PEOPLE = [
    {"email": "rosalind@acme.test", "password": "idp-pass", "first_name": "Rosalind", "last_name": "Franklin",
     "groups": ["lab-seq"], "subject": "rf-1"},
]  # fmt: skip


@pytest.fixture
def acme():
    tenant = TenantFactory(
        name="Acme Genomics", slug="acme", domain="acme.localhost", signup_mode="invite-only"
    )
    MembershipFactory(tenant=tenant, user=UserFactory(email="alice@acme.test"), role=Role.ADMIN)
    WorkgroupFactory(tenant=tenant, name="Sequencing")
    call_command("sso_domains", "acme.localhost", "--add", "acme.test", stdout=io.StringIO())  # the operators
    return tenant


@pytest.fixture
def saml_idp(tmp_path):
    running = SamlProvider(tmp_path, people=PEOPLE)
    yield running
    running.stop()


def test_people_sign_in_and_out_through_a_saml_identity_provider(
    page, browser, tenant_url, acme, saml_idp, tmp_path
):
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test")
    page.goto(tenant_url("acme.localhost", "/settings/sign-in/"))
    page.get_by_label("SAML 2.0").check()
    page.locator("#saml-settings summary").click()
    metadata = tmp_path / "idp-metadata.xml"
    metadata.write_text(saml_idp.idp.metadata())
    page.get_by_label("Identity provider metadata (XML file)").set_input_files(str(metadata))
    page.get_by_label("Organisation", exact=True).fill("Acme Corp")
    page.get_by_label("Fill the attribute names for").select_option(label="Okta")
    page.get_by_label("Groups to workgroups").fill("lab-seq = Sequencing")
    page.get_by_label("Password, or the organisation's single sign-on").check()
    page.get_by_role("button", name="Save sign-in").click()
    expect(page.locator(".messages")).to_contain_text("Sign-in settings of Acme Genomics saved.")
    expect(page.locator("#saml-idp")).to_contain_text(saml_idp.idp.entity_id)
    expect(page.get_by_label("Assertion consumer service (reply) URL")).to_have_value(
        tenant_url("acme.localhost", f"/accounts/saml/{SignIn.objects.get(tenant=acme).provider_id}/acs/")
    )
    snap(page, "sign-in-settings-saml", full_page=True)
    with page.expect_download() as download:
        page.locator("#sp-metadata").click()
    saml_idp.idp.register(download.value.path().read_text())  # the IdP admin registers us

    visitor = browser.new_context().new_page()
    visitor.goto(tenant_url("acme.localhost", "/accounts/login/"))
    visitor.get_by_role("button", name="Sign in with Acme Corp").click()
    visitor.get_by_label("Email").fill("rosalind@acme.test")  # the IdP's own page
    visitor.get_by_label("Password").fill("idp-pass")
    visitor.get_by_role("button", name="Sign in at the IdP").click()
    expect(visitor.get_by_role("heading", name="Acme Genomics")).to_be_visible()  # home, signed in
    rosalind = User.objects.get(email="rosalind@acme.test")
    assert rosalind.full_name == "Rosalind Franklin"
    assert Membership.objects.get(tenant=acme, user=rosalind).role == Role.MEMBER
    assert set(rosalind.workgroup_memberships.values_list("workgroup__name", flat=True)) == {"Sequencing"}
    assert Event.objects.filter(tenant=acme, action="sso.sign_in", actor_email=rosalind.email).exists()

    visitor.locator("#profile-menu summary").click()
    visitor.get_by_role("link", name="Sign out").click()
    with visitor.expect_request(lambda request: request.url.startswith(f"{saml_idp.idp.base_url}/slo?")):
        visitor.locator("main").get_by_role("button", name="Sign out").click()  # via the IdP's single logout
    expect(visitor.get_by_role("status")).to_contain_text("You have signed out.")  # back, and out
    visitor.goto(tenant_url("acme.localhost", "/apikeys/"))
    expect(visitor).to_have_url(tenant_url("acme.localhost", "/accounts/login/?next=/apikeys/"))
