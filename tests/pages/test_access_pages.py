"""Settings → Access in Chromium: the admin sees the address the portal sees, a list that would
lock them out is refused saying why, the preview tells what a list would have refused, and
once saved the tenant's pages answer only inside it."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.pages.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme():
    tenant = TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")
    MembershipFactory(tenant=tenant, user=UserFactory(email="alice@acme.test"), role=Role.ADMIN)
    return tenant


def test_an_admin_limits_the_tenant_to_the_lab_without_locking_themselves_out(page, tenant_url, acme):
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test")
    page.goto(tenant_url("acme.localhost", "/settings/"))
    page.get_by_role("link", name="Access: the networks").click()
    expect(page.locator("#your-address")).to_contain_text("127.0.0.1")

    page.get_by_label("Allowed networks").fill("192.0.2.0/24")
    page.get_by_label("Apply to browser sign-in and pages").check()
    page.get_by_role("button", name="Preview the last 7 days").click()
    expect(page.locator("#network-preview")).to_contain_text("refused 1 of 1 sign-in")  # this very sign-in
    expect(page.locator("#network-preview")).to_contain_text("127.0.0.1")
    page.get_by_role("button", name="Save allowed networks").click()
    expect(page.get_by_role("alert")).to_contain_text("This would lock you out: your address (127.0.0.1)")

    page.get_by_label("Allowed networks").fill("192.0.2.0/24\n127.0.0.0/8")
    page.get_by_role("button", name="Save allowed networks").click()
    expect(page.locator(".messages")).to_contain_text("Allowed networks of Acme Genomics saved.")
    expect(page.get_by_label("Allowed networks")).to_have_value("192.0.2.0/24\n127.0.0.0/8")
    expect(page.locator("#network-preview")).to_contain_text("refused 0 of 1 sign-in")

    page.get_by_label("Allowed networks").fill("192.0.2.0/24\n127.0.0.1\nlab-vlan")
    page.get_by_role("button", name="Save allowed networks").click()
    expect(page.locator("#id_allowed_networks_error")).to_contain_text("“lab-vlan” is not an IPv4 or IPv6")
    acme.refresh_from_db()
    assert acme.allowed_networks == ["192.0.2.0/24", "127.0.0.0/8"] and acme.networks_for_pages
