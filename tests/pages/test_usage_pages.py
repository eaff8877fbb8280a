"""Usage at a glance: charts drawn in the browser from counters that real API calls wrote, with
their numbers in a table, and the tenant home's figures."""

import base64
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import USAGE_FAILED_SIGNINS, Role
from apikeys.models import USAGE_REQUESTS, USAGE_TOKENS, ApiKey
from core.models import UsageCount
from licenses.models import USAGE_FETCHES
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.helpers import actor, add, bearer, fetch, make_key, sell, token, validate
from tests.pages.conftest import sign_in, snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme():
    tenant = TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")
    alice = UserFactory(email="alice@acme.test")
    MembershipFactory(tenant=tenant, user=alice, role=Role.ADMIN)
    return tenant, alice


def today_row(page, scope: str) -> list[str]:
    """The cells of today's row in the numbers table under `scope`."""
    row = page.locator(f"{scope} .usage-chart tbody tr").last
    return [cell.strip() for cell in row.locator("th, td").all_inner_texts()]


def test_the_keys_page_charts_each_keys_requests_and_exchanges(page, tenant_url, acme):
    tenant, alice = acme
    _, text = make_key(alice, tenant, name="nightly")
    make_key(alice, tenant, name="quiet")
    jwt = token(text)
    token(text)
    for _ in range(3):
        assert bearer(jwt).get("/api/me").status_code == 200

    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), alice.email)
    page.goto(tenant_url("acme.localhost", "/apikeys/?sort=name"))
    usage = page.locator("#key-usage")
    expect(usage.locator("details.usage").first).to_contain_text("3 requests · 2 token exchanges")
    expect(usage.locator("details.usage").first.locator("canvas")).to_be_visible()  # uPlot drew it
    expect(usage.locator(".u-legend").first).to_contain_text("Token exchanges")
    usage.locator("details.usage").first.get_by_text("Numbers by day").click()
    snap(page, "keys")
    assert today_row(page, "#key-usage details.usage:first-of-type") == [
        timezone.now().date().isoformat(),
        "3",
        "2",
    ]
    closed = usage.locator("details.usage").nth(1)
    expect(closed).to_contain_text("0 requests · 0 token exchanges")
    closed.locator(":scope > summary").click()  # drawn once it is opened (it had no width before)
    expect(closed.locator("canvas")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the charts narrow with the window
    canvas = usage.locator("canvas").first
    for _ in range(50):  # charts.js redraws them 150 ms after the last resize
        if canvas.bounding_box()["width"] < 390:
            break
        page.wait_for_timeout(100)
    assert canvas.bounding_box()["width"] < 390
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("#key-usage").evaluate("section => section.scrollIntoView()")
    snap(page, "keys-phone")


def test_a_license_page_charts_downloads_and_validations_per_credential(page, tenant_url, acme):
    tenant, alice = acme
    license = sell(tenant, actor(alice, tenant), name="Core")
    add(license, actor(alice, tenant), "dragen_serial", serial_number="SN-CHART")
    for _ in range(2):
        fetched = fetch({"DragenSerialNo": "SN-CHART"})
        assert fetched.status_code == 200
    assert validate(fetched.content.decode()).json()["valid"] is True

    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), alice.email)
    page.goto(tenant_url("acme.localhost", f"/licenses/{license.pk}/"))
    chart = page.locator("#credentials details.usage").first
    expect(chart).to_contain_text("2 downloads")
    expect(chart.locator("canvas")).to_be_visible()
    snap(page, "license", full_page=True)
    chart.get_by_text("Numbers by day").click()
    assert today_row(page, "#credentials") == [timezone.now().date().isoformat(), "2", "1"]


def test_the_tenant_home_is_a_dashboard_for_its_admins(page, tenant_url, acme):
    tenant, alice = acme
    bob = UserFactory(email="bob@acme.test")
    MembershipFactory(tenant=tenant, user=bob)
    old, text = make_key(alice, tenant, name="old")
    ApiKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=340))
    make_key(bob, tenant, name="fresh")
    bearer(token(text)).get("/api/me")
    sell(tenant, actor(alice, tenant), name="Ends soon", ends_at=timezone.now() + timedelta(days=10))
    runs_on = sell(tenant, actor(alice, tenant), name="Runs on")
    credential = add(runs_on, actor(alice, tenant), "dragen_serial", serial_number="SN-HOME").credential
    _history(old.pk, credential.pk, tenant.pk)  # the days before today, as counted then
    wrong = base64.b64encode(b"alice@acme.test:wrong").decode()
    Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_AUTHORIZATION=f"Basic {wrong}")

    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), alice.email)
    for label, value in [
        ("Members", "2"),
        ("Active API keys", "2"),
        ("Keys due for rotation", "1"),
        ("Licenses ending within 30 days", "1"),
        ("Failed sign-ins this week", "1"),
    ]:
        expect(page.locator("#dashboard .tile", has_text=label).locator(".figure")).to_have_text(value)
    expect(page.locator("#dashboard .tile", has_text="Keys due for rotation")).to_contain_text("needs a look")
    expect(page.locator("#dashboard .tile", has_text="Members")).not_to_contain_text("needs a look")
    expect(page.locator("#dashboard canvas").first).to_be_visible()
    snap(page, "home")
    page.locator("#dashboard").get_by_text("Numbers by day").click()
    header = page.locator("#dashboard thead th").all_inner_texts()
    assert header == [
        "Day (UTC)",
        "API requests",
        "Token exchanges",
        "premium.lic downloads",
        "Failed sign-ins",
    ]
    assert today_row(page, "#dashboard") == [timezone.now().date().isoformat(), "1", "1", "0", "1"]

    bob_page = page.context.browser.new_page()
    sign_in(bob_page, tenant_url("acme.localhost", "/accounts/login/"), bob.email)
    expect(bob_page.get_by_role("heading", name="Acme Genomics")).to_be_visible()
    expect(bob_page.locator("#dashboard")).to_have_count(0)  # members get their workgroups only
    bob_page.close()


def _history(apikey_id, credential_id, tenant_id) -> None:
    """Counts for the 29 days before today (a working week's rhythm), so the chart has a past."""
    day = timezone.now().date()
    rows = []
    for ago in range(1, 30):
        weekday = (day - timedelta(days=ago)).weekday() < 5
        rows += [
            UsageCount(
                kind=USAGE_REQUESTS,
                subject=apikey_id,
                day=day - timedelta(days=ago),
                count=(140 if weekday else 25) + ago * 37 % 60,
            ),
            UsageCount(
                kind=USAGE_TOKENS,
                subject=apikey_id,
                day=day - timedelta(days=ago),
                count=(12 if weekday else 2) + ago % 4,
            ),
            UsageCount(
                kind=USAGE_FETCHES,
                subject=credential_id,
                day=day - timedelta(days=ago),
                count=(30 if weekday else 6) + ago * 7 % 11,
            ),
        ]
        if ago > 7 and ago % 9 == 0:  # none this week: the figure counts today's only
            rows.append(
                UsageCount(
                    kind=USAGE_FAILED_SIGNINS, subject=tenant_id, day=day - timedelta(days=ago), count=ago
                )
            )
    UsageCount.objects.bulk_create(rows)


def test_the_readmes_screenshots_are_saved_by_the_tests_that_show_those_pages():
    """Each picture the README shows is a file `make screenshots` writes: a snap() of that name."""
    root = Path(__file__).resolve().parents[2]
    pictures = re.findall(r"\(docs/screenshots/([\w-]+)\.png\)", (root / "README.md").read_text())
    snapped = set(
        re.findall(
            r"snap\(page, \"([\w-]+)\"",
            "".join(p.read_text() for p in (root / "tests/pages").glob("test_*.py")),
        )
    )
    assert pictures and set(pictures) <= snapped
    assert all((root / "docs/screenshots" / f"{name}.png").exists() for name in pictures)
