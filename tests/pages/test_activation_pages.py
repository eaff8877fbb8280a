"""Offline activation in Chromium: the admin reads the challenge off the license page, uploads the
offline server's request, sees what it asks for and downloads its premium.lic."""

import re
import time

import pytest
from django.test import Client
from playwright.sync_api import expect

import premiumlic
import premiumreq
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.helpers import actor, add, sell
from tests.pages.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def request_file(tmp_path, name, **fields) -> str:
    body = premiumreq.build(
        tool="portal 0.1.0", clock=int(time.time()) - 7200, host="seq-offline-01", **fields
    )
    path = tmp_path / name
    path.write_text(premiumreq.dumps(body))
    return str(path)


def test_an_admin_turns_an_offline_servers_request_into_its_premium_lic(
    page, tenant_url, live_server, tmp_path
):
    tenant = TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")
    alice = UserFactory(email="alice@acme.test")
    MembershipFactory(tenant=tenant, user=alice, role="admin")
    license = sell(tenant, actor(alice, tenant), name="Air-gapped core")
    byol = add(license, actor(alice, tenant), "byol")
    add(license, actor(alice, tenant), "dragen_serial", serial_number="SN-AIR")

    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test")
    page.goto(tenant_url("acme.localhost", f"/licenses/{license.pk}/"))
    offline = page.locator("#offline")
    expect(offline.get_by_role("heading", name="Offline activation")).to_be_visible()
    challenge = page.locator("#activation-challenge").inner_text()

    # A BYOL server proves its password with the challenge: issued without a question.
    user_id, password = byol.secrets["api_key"], byol.secrets["api_secret"]
    proven = request_file(tmp_path, "byol.json", method="byol", identifier=user_id, challenge=challenge,
                          digest=premiumreq.secret_digest(password))  # fmt: skip
    offline.get_by_label("Request file").set_input_files(proven)
    offline.get_by_role("button", name="Read the request").click()
    facts = page.locator("#activation-facts")
    expect(facts).to_contain_text("Proven")
    expect(page.locator("#activation")).to_contain_text("A request from seq-offline-01")
    expect(facts).to_contain_text(re.compile(r"2 h( 1 min)? behind ours"))  # its clock, 2 hours behind
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Issue and download premium.lic").click()
    assert download_info.value.suggested_filename == "premium.lic"
    with open(download_info.value.path()) as downloaded:
        text = downloaded.read()
    keys = premiumlic.public_keys(Client().get("/.well-known/premium-license-keys.json").json())
    assert premiumlic.verify(text, keys)["cred"] == premiumlic.credential_fingerprint(user_id)

    # A serial number proves nothing: the admin must say it comes from their server.
    page.goto(tenant_url("acme.localhost", f"/licenses/{license.pk}/"))
    unproven = request_file(tmp_path, "serial.json", method="dragen_serial", identifier="SN-AIR")
    page.locator("#offline").get_by_label("Request file").set_input_files(unproven)
    page.locator("#offline").get_by_role("button", name="Read the request").click()
    expect(page.locator("#activation-facts")).to_contain_text("Not proven")
    confirm = page.get_by_label("This request comes from our server seq-offline-01.")
    expect(confirm).to_be_visible()
    with page.expect_download() as download_info:
        confirm.check()
        page.get_by_role("button", name="Issue and download premium.lic").click()
    assert download_info.value.suggested_filename == "premium.lic"

    # A request for a credential the license does not have is refused on the license page.
    page.goto(tenant_url("acme.localhost", f"/licenses/{license.pk}/"))
    stranger = request_file(tmp_path, "stranger.json", method="dragen_serial", identifier="SN-NOBODY")
    page.locator("#offline").get_by_label("Request file").set_input_files(stranger)
    page.locator("#offline").get_by_role("button", name="Read the request").click()
    expect(page.get_by_role("alert").or_(page.locator(".messages"))).to_contain_text(
        "no dragen serial credential"
    )
