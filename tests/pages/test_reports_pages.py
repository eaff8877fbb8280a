"""Reports in Chromium: a tenant admin asks for one, watches it being made (the page refreshes
itself while a report is in the works) and downloads the CSV the real Celery worker wrote."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.pages.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme():
    tenant = TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")
    MembershipFactory(tenant=tenant, user=UserFactory(email="alice@acme.test"), role=Role.ADMIN)
    return tenant


def test_an_admin_makes_a_report_watches_it_and_downloads_it(celery_worker, page, tenant_url, acme):
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test")
    page.get_by_role("link", name="Reports").first.click()
    page.get_by_label("Sign-ins, key exchanges and refusals").check()
    page.get_by_label("Email it to").fill("somebody@elsewhere.test")
    page.get_by_role("button", name="Make the report").click()
    expect(page.get_by_role("alert")).to_contain_text("Reports go only to members of Acme Genomics")

    page.get_by_label("Email it to").fill("alice@acme.test")
    page.get_by_role("button", name="Make the report").click()
    expect(page.locator(".messages")).to_contain_text("is being made")
    download_link = page.get_by_role("button", name="Download CSV")
    expect(download_link).to_be_visible(timeout=30_000)  # the page refreshed itself until then
    expect(page.locator("#reports tbody")).to_contain_text("emailed to alice@acme.test")
    with page.expect_download() as caught:
        download_link.click()
    rows = list(csv.DictReader(io.StringIO(Path(caught.value.path()).read_text())))
    assert {(row["event"], row["email"]) for row in rows} >= {("login", "alice@acme.test")}
