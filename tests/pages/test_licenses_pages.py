"""A tenant admin sells a lab a license in Chromium; the lab's tool fetches its premium.lic."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

import premiumlic
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.pages.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme():
    tenant = TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")
    MembershipFactory(tenant=tenant, user=UserFactory(email="alice@acme.test"), role="admin")
    return tenant


def read(download) -> str:
    with open(download.path()) as downloaded:
        return downloaded.read()


def test_an_admin_sells_a_license_and_the_labs_tool_gets_a_premium_lic(page, tenant_url, live_server, acme):
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test")
    page.get_by_role("link", name="Licenses", exact=True).click()
    expect(page.get_by_role("heading", name="Licenses")).to_be_visible()
    page.get_by_label("Name").fill("Sequencing core")
    page.get_by_label("COSMIC").check()
    page.get_by_label("SpliceAI").check()
    page.get_by_label("Ends on").fill((timezone.now() + timedelta(days=365)).date().isoformat())
    page.get_by_role("button", name="Create license").click()
    expect(page.get_by_role("heading", name="Sequencing core")).to_contain_text("Active")
    expect(page.locator("#license-summary")).to_contain_text("COSMIC, SpliceAI")

    # A DRAGEN serial number: no secret, a credentials.json to download.
    page.get_by_role("textbox", name="Serial number").fill("SN-LAB-1")
    page.get_by_role("button", name="Add credential").click()
    dialog = page.locator("dialog#new-key")
    expect(dialog).to_contain_text("DRAGEN serial number SN-LAB-1")
    with page.expect_download() as download_info:
        dialog.get_by_role("button", name="Download credentials.json").click()
    assert download_info.value.suggested_filename == "credentials.json"
    credentials_json = read(download_info.value)
    assert json.loads(credentials_json) == {"DragenSerialNo": "SN-LAB-1"}
    dialog.get_by_role("button", name="Done").click()

    # The lab's tool (outside the browser: Node does not resolve *.localhost, so it uses the
    # server's address and names the tenant's domain in Host, where credentials are served)
    # posts its credentials.json and verifies the answer offline.
    port = live_server.url.rsplit(":", 1)[1]
    answer = page.request.post(
        live_server.url + "/api/licensing/premium.lic",
        data=credentials_json,
        headers={"Content-Type": "application/json", "Host": f"acme.localhost:{port}"},
    )
    assert answer.status == 200, answer.text()
    premium_lic = answer.text()
    jwks = page.request.get(live_server.url + "/.well-known/premium-license-keys.json").json()
    assert premiumlic.verify(premium_lic, premiumlic.public_keys(jwks))["sources"] == ["COSMIC", "SpliceAI"]

    # The admin sees the file, downloads it, and sees when the credential was last used.
    page.reload()
    row = page.locator("#files tbody tr").first
    expect(row).to_contain_text("DRAGEN serial number SN-LAB-1")
    expect(row).to_contain_text("Current")
    with page.expect_download() as download_info:
        row.get_by_role("button", name="Download premium.lic").click()
    assert read(download_info.value) == premium_lic
    expect(page.locator("#credentials tbody tr", has_text="SN-LAB-1")).not_to_contain_text("never")

    # BYOL credentials: a generated password, shown once.
    page.get_by_role("radio", name="BYOL credentials").check()
    page.get_by_role("button", name="Add credential").click()
    expect(dialog).to_contain_text("cannot be shown again")
    password = dialog.locator("#secret-2")
    expect(password).to_have_attribute("type", "password")
    dialog.get_by_role("button", name="Show").click()
    expect(password).to_have_attribute("type", "text")
    with page.expect_download() as download_info:
        dialog.get_by_role("button", name="Download dragen_credentials.txt").click()
    user_id, secret = dialog.locator("#secret-1").input_value(), password.input_value()
    assert read(download_info.value) == f"credentials-1={user_id}\ncredentials-2={secret}\n"
    dialog.get_by_role("button", name="I have stored it safely").click()
    expect(page.locator("#credentials tbody tr", has_text=user_id)).to_be_visible()
    assert secret not in page.content()

    # Revoking takes effect online at once.
    page.locator("#revoke").click()
    confirm = page.locator("#action-dialog")
    expect(confirm).to_contain_text("fails online validation")
    confirm.get_by_role("button", name="Revoke license").click()
    expect(page.get_by_role("heading", name="Sequencing core")).to_contain_text("Revoked")
    validity = page.request.post(
        live_server.url + "/api/licensing/validate",
        data=premium_lic,
        headers={"Content-Type": "text/plain"},
    ).json()
    assert (validity["valid"], validity["code"]) == (False, "LICENSE_REVOKED")
