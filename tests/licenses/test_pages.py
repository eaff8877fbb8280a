"""The Licenses pages, without a browser (tests/pages/test_licenses_pages.py drives Chromium):
forms, shown-once secrets, every route closed to members and 404 to another tenant."""

import re
import urllib.parse
from datetime import timedelta

import pytest
from django.utils import timezone

from licenses import keyring, services
from licenses.models import Credential, License
from tests.helpers import actor


def downloads(html: str) -> dict[str, str]:
    found = re.findall(r'href="data:text/plain;charset=utf-8,([^"]*)" download="([^"]+)"', html)
    return {name: urllib.parse.unquote(content) for content, name in found}


def test_an_admin_creates_a_license_from_the_form(as_alice):
    ends_on = (timezone.now() + timedelta(days=365)).date()
    response = as_alice.post(
        "/licenses/",
        {"name": "Core lab", "sources": ["COSMIC", "OMIM"], "starts_on": "2026-01-01", "ends_on": ends_on},
    )
    license = License.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/licenses/{license.pk}/"
    assert license.sources == ["COSMIC", "OMIM"]
    assert (license.ends_at.date(), license.ends_at.hour, license.ends_at.minute) == (ends_on, 23, 59)
    listed = as_alice.get("/licenses/").content.decode()
    assert "Core lab" in listed and "COSMIC, OMIM" in listed


def test_the_form_says_what_is_wrong(as_alice):
    response = as_alice.post("/licenses/", {"name": "", "starts_on": "2026-02-01", "ends_on": "2026-01-01"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page and "The term must end after it starts." in page
    assert not License.objects.exists()


@pytest.mark.parametrize(
    ("method", "names", "secret_field"),
    [
        ("byol", {"dragen_credentials.txt", "credentials.json"}, "api_secret"),
        ("dragen_api_key", {"dragen_api_key.txt", "credentials.json"}, "key"),
    ],
)
def test_a_generated_secret_is_shown_once_with_its_files(as_alice, license, method, names, secret_field):
    response = as_alice.post(f"/licenses/{license.pk}/credentials", {"method": method}, follow=True)
    assert response.redirect_chain[0][1] == 303  # Post/Redirect/Get: a reload adds nothing
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    files = downloads(response.content.decode())
    assert set(files) == names
    credential = Credential.objects.get()
    if method == "byol":
        user_id, password = re.findall(r"credentials-\d=(\S+)", files["dragen_credentials.txt"])
        assert user_id == credential.identifier and password not in credential.secret_hash
        assert f'"ApiSecret": "{password}"' in files["credentials.json"]
    else:
        key = files["dragen_api_key.txt"].strip()
        assert key.startswith("dak_") and f'"DragenApiKey": "{key}"' in files["credentials.json"]
    again = as_alice.get(response.redirect_chain[0][0]).content.decode()  # a reload, or Back
    assert not downloads(again) and Credential.objects.count() == 1
    secret = password if method == "byol" else key
    assert secret not in again


def test_a_serial_number_is_added_and_its_credentials_json_offered(as_alice, license):
    response = as_alice.post(
        f"/licenses/{license.pk}/credentials",
        {"method": "dragen_serial", "serial_number": "SN-7"},
        follow=True,
    )
    assert response.status_code == 200
    assert downloads(response.content.decode()) == {"credentials.json": '{\n  "DragenSerialNo": "SN-7"\n}\n'}
    missing = as_alice.post(f"/licenses/{license.pk}/credentials", {"method": "dragen_serial"})
    assert missing.status_code == 400 and "serial number" in missing.content.decode()
    taken = as_alice.post(
        f"/licenses/{license.pk}/credentials", {"method": "dragen_serial", "serial_number": "SN-7"}
    )
    assert taken.status_code == 409 and "already registered" in taken.content.decode()


def test_actions_change_the_license_and_say_so(as_alice, license):
    base = f"/licenses/{license.pk}"
    as_alice.post(f"{base}/suspend")
    assert License.objects.get(pk=license.pk).state == "suspended"
    as_alice.post(f"{base}/resume")
    assert "Revoke" in as_alice.get(f"{base}/revoke").content.decode()  # the confirmation
    response = as_alice.post(f"{base}/revoke", follow=True)
    assert "is revoked" in response.content.decode()
    assert License.objects.get(pk=license.pk).state == "revoked"
    edited = as_alice.post(f"{base}/edit", {"name": "x", "sources": ["OMIM"], "ends_on": "2040-01-01"})
    assert edited.status_code == 400 and "revoked" in edited.content.decode()


def test_the_edit_form_extends_the_term_and_changes_sources(as_alice, license):
    response = as_alice.post(
        f"/licenses/{license.pk}/edit", {"name": "Renamed", "sources": ["OMIM"], "ends_on": "2040-06-30"}
    )
    assert response.status_code == 302
    license.refresh_from_db()
    assert (license.name, license.sources, license.ends_at.date().isoformat()) == (
        "Renamed",
        ["OMIM"],
        "2040-06-30",
    )


def test_the_current_file_downloads_from_the_page(own_keyring, as_alice, alice, tenant_a, license):
    credential = services.credential_add(
        license=license, by=actor(alice, tenant_a), method="dragen_serial", serial_number="SN-DL"
    ).credential
    issued = services.license_file_issue(credential_id=credential.pk)
    page = as_alice.get(f"/licenses/{license.pk}/").content.decode()
    link = f"/licenses/{license.pk}/files/{issued.pk}/premium.lic"
    assert link in page
    response = as_alice.get(link)
    assert response["Content-Disposition"] == 'attachment; filename="premium.lic"'
    assert keyring.current().verify(response.content.decode())["fid"] == str(issued.pk)


@pytest.fixture
def routes(own_keyring, alice, tenant_a, license):
    credential = services.credential_add(
        license=license, by=actor(alice, tenant_a), method="dragen_serial", serial_number="SN-R"
    ).credential
    file = services.license_file_issue(credential_id=credential.pk)
    base = f"/licenses/{license.pk}"
    credential_base = f"{base}/credentials/{credential.pk}"
    return [
        ("get", f"{base}/"),
        ("post", f"{base}/edit"),
        ("post", f"{base}/suspend"),
        ("post", f"{base}/resume"),
        ("get", f"{base}/revoke"),
        ("post", f"{base}/revoke"),
        ("get", f"{base}/delete"),
        ("post", f"{base}/delete"),
        ("post", f"{base}/credentials"),
        ("post", f"{credential_base}/enable"),
        ("post", f"{credential_base}/disable"),
        ("get", f"{credential_base}/delete"),
        ("post", f"{credential_base}/delete"),
        ("get", f"{base}/files/{file.pk}/premium.lic"),
    ]


def test_another_tenants_admin_gets_404_on_every_license_page(routes, as_charlie, license):
    for method, path in routes:
        assert getattr(as_charlie, method)(path).status_code == 404, (method, path)
    assert License.objects.get(pk=license.pk).state == "active"
    assert Credential.objects.filter(is_enabled=True).count() == 1


def test_a_member_is_refused_every_license_page(routes, as_bob):
    assert as_bob.get("/licenses/").status_code == 403
    for method, path in routes:
        assert getattr(as_bob, method)(path).status_code in (403, 405), (method, path)
    assert "Licenses" not in as_bob.get("/").content.decode()
