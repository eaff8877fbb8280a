import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Membership, Workgroup
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.pages.conftest import sign_in, snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-fine-long-password-42"


def test_a_visitor_signs_up_verifies_logs_in_creates_a_workgroup_and_logs_out(page, tenant_url):
    tenant = TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost", signup_mode="open")
    # The first member of a tenant is its admin in real life (create_tenant); here she signs up
    # as a member and is promoted, to create a workgroup afterwards.
    page.goto(tenant_url("acme.localhost", "/accounts/signup/"))
    expect(page.get_by_text("Acme Genomics").first).to_be_visible()
    snap(page, "sign-up")
    page.fill("input[name=email]", "olga@acme.test")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("main").get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()

    link = re.search(r"http://acme\.localhost:\d+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    Membership.objects.filter(tenant=tenant, user__email="olga@acme.test").update(role="admin")
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "olga@acme.test", PASSWORD)
    expect(page.get_by_role("heading", name="Acme Genomics")).to_be_visible()

    page.get_by_role("link", name="Workgroups").first.click()
    page.fill("#create-workgroup input[name=name]", "Variant calling")
    page.get_by_role("button", name="Create workgroup").click()
    expect(page.get_by_role("link", name="Variant calling")).to_be_visible()
    assert Workgroup.objects.filter(tenant=tenant, name="Variant calling").exists()

    page.locator("#profile-menu summary").click()
    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    page.goto(tenant_url("acme.localhost", "/workgroups/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_a_session_at_one_tenant_is_not_a_session_at_another(page, tenant_url):
    acme = TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")
    globex = TenantFactory(name="Globex Labs", slug="globex", domain="globex.localhost")
    user = UserFactory(email="pat@both.test")
    MembershipFactory(tenant=acme, user=user)
    MembershipFactory(tenant=globex, user=user)

    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "pat@both.test")
    expect(page.get_by_role("heading", name="Acme Genomics")).to_be_visible()

    page.goto(tenant_url("globex.localhost", "/"))
    expect(page).to_have_url(re.compile(r"globex\.localhost:\d+/accounts/login/"))
    expect(page.get_by_text("Globex Labs").first).to_be_visible()
