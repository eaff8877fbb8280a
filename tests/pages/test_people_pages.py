"""People in the browser: the workgroup member picker asks the server as one types."""

import pytest
from playwright.sync_api import expect

from accounts.models import Membership, Role, User
from tests.factories import MembershipFactory, TenantFactory, UserFactory, WorkgroupFactory
from tests.pages.conftest import sign_in, snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_member_picker_suggests_as_one_types_among_thousands(page, tenant_url):
    acme = TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")
    MembershipFactory(tenant=acme, user=UserFactory(email="alice@acme.test"), role=Role.ADMIN)
    users = User.objects.bulk_create(User(email=f"person{n:04}@acme.test") for n in range(5000))
    Membership.objects.bulk_create(Membership(tenant=acme, user=user) for user in users)
    MembershipFactory(
        tenant=acme, user=UserFactory(email="rosalind@acme.test", full_name="Rosalind Franklin")
    )
    workgroup = WorkgroupFactory(tenant=acme, name="Crystallography")

    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test")
    page.goto(tenant_url("acme.localhost", f"/workgroups/{workgroup.pk}/"))
    suggestions = page.locator("#member-suggestions option")
    expect(suggestions).to_have_count(0)  # not 5,000 options in the page
    picker = page.get_by_label("Add a member of Acme Genomics")
    picker.press_sequentially("frank", delay=30)
    expect(suggestions).to_have_count(1)
    expect(suggestions).to_have_attribute("value", "rosalind@acme.test")
    expect(suggestions).to_have_text("Rosalind Franklin")
    picker.fill("")
    picker.press_sequentially("person49", delay=30)
    expect(suggestions).to_have_count(20)

    picker.fill("rosalind@acme.test")  # what choosing the suggestion does
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("rosalind@acme.test added to Crystallography.")).to_be_visible()
    expect(page.locator("#workgroup-members")).to_contain_text("Rosalind Franklin")
    snap(page, "workgroup")
    page.reload()
    assert workgroup.memberships.count() == 1
