"""The tenant admins' REST API for licenses, credentials and files: every endpoint works for an
admin, is refused to a member, and answers 404 to another tenant's admin."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Event
from licenses import keyring, services
from licenses.models import Credential, License, LicenseFile
from tests.helpers import actor, sell

JSON = "application/json"


def test_an_admin_creates_a_license_with_sources_and_a_term(as_alice):
    response = as_alice.post(
        "/api/licenses",
        {"name": "Core lab", "sources": ["SpliceAI", "COSMIC"], "ends_at": "2031-01-31T00:00:00Z"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active" and body["sources"] == ["COSMIC", "SpliceAI"]
    assert body["ends_at"] == "2031-01-31T00:00:00Z" and uuid.UUID(body["id"])
    listed = as_alice.get("/api/licenses").json()
    assert [item["id"] for item in listed["results"]] == [body["id"]]
    assert as_alice.get(f"/api/licenses/{body['id']}").json()["name"] == "Core lab"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "x", "sources": ["dbSNP"], "ends_at": "2031-01-01T00:00:00Z"}, 400, None),
        ({"name": "x", "sources": [], "ends_at": "2031-01-01T00:00:00Z"}, 400, None),
        ({"name": "x", "sources": ["OMIM"], "ends_at": "2001-01-01T00:00:00Z"}, 400, "invalid_term"),
        ({"name": "x", "sources": ["OMIM"]}, 400, None),
    ],
)
def test_a_bad_license_gets_a_problem_naming_what_is_wrong(as_alice, body, status, code):
    response = as_alice.post("/api/licenses", body, content_type=JSON)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    if code:
        assert response.json()["code"] == code
    assert not License.objects.exists()


def test_suspend_resume_revoke_and_patch_through_the_api(as_alice, license):
    base = f"/api/licenses/{license.pk}"
    assert as_alice.post(f"{base}:suspend").json()["status"] == "suspended"
    assert as_alice.post(f"{base}:resume").json()["status"] == "active"
    later = (license.ends_at + timedelta(days=30)).isoformat().replace("+00:00", "Z")
    patched = as_alice.patch(base, {"ends_at": later, "sources": ["OMIM"]}, content_type=JSON).json()
    assert patched["ends_at"] == later and patched["sources"] == ["OMIM"]
    assert as_alice.post(f"{base}:revoke").json()["status"] == "revoked"
    refused = as_alice.post(f"{base}:resume")
    assert (refused.status_code, refused.json()["code"]) == (409, "license_revoked")
    actions = set(Event.objects.filter(target_id=str(license.pk)).values_list("action", flat=True))
    assert actions >= {"license.suspend", "license.resume", "license.update", "license.revoke"}


def test_credentials_show_their_secret_once_and_list_without_it(as_alice, license):
    base = f"/api/licenses/{license.pk}/credentials"
    serial = as_alice.post(base, {"method": "dragen_serial", "serial_number": "SN-9"}, content_type=JSON)
    byol = as_alice.post(base, {"method": "byol"}, content_type=JSON)
    dragen = as_alice.post(base, {"method": "dragen_api_key"}, content_type=JSON)
    assert serial.status_code == byol.status_code == dragen.status_code == 201
    assert serial.json()["identifier"] == "SN-9" and "key" not in serial.json()
    assert byol.json()["api_key"] == byol.json()["identifier"] and byol.json()["api_secret"]
    assert dragen.json()["key"].startswith("dak_") and byol["Cache-Control"] == "no-store"
    listed = as_alice.get(base).json()["results"]
    assert len(listed) == 3
    text = str(listed)
    assert byol.json()["api_secret"] not in text and dragen.json()["key"] not in text
    assert listed[2]["identifier"] == dragen.json()["key"][:8] + "…"

    taken = as_alice.post(base, {"method": "dragen_serial", "serial_number": "SN-9"}, content_type=JSON)
    assert (taken.status_code, taken.json()["code"]) == (409, "serial_taken")

    credential = f"{base}/{serial.json()['id']}"
    assert as_alice.patch(credential, {"is_enabled": False}, content_type=JSON).json()["is_enabled"] is False
    assert as_alice.delete(credential).status_code == 204
    assert not Credential.objects.filter(pk=serial.json()["id"]).exists()


def test_files_are_listed_and_the_latest_can_be_downloaded(own_keyring, as_alice, alice, tenant_a, license):
    credential = services.credential_add(
        license=license, by=actor(alice, tenant_a), method="dragen_serial", serial_number="SN-F"
    ).credential
    issued = services.license_file_issue(credential_id=credential.pk)
    (item,) = as_alice.get(f"/api/licenses/{license.pk}/files").json()["results"]
    assert item["id"] == str(issued.pk) and item["status"] == "current"
    assert item["credential"] == "DRAGEN serial number SN-F" and item["sources"] == ["COSMIC", "SpliceAI"]
    assert "premium_lic" not in item
    detail = as_alice.get(f"/api/licenses/{license.pk}/files/{issued.pk}").json()
    assert keyring.current().verify(detail["premium_lic"])["fid"] == str(issued.pk)


def test_deleting_a_license_takes_its_credentials_and_files(own_keyring, as_alice, alice, tenant_a, license):
    credential = services.credential_add(
        license=license, by=actor(alice, tenant_a), method="dragen_serial", serial_number="SN-D"
    ).credential
    services.license_file_issue(credential_id=credential.pk)
    assert as_alice.delete(f"/api/licenses/{license.pk}").status_code == 204
    assert not (License.objects.exists() or Credential.objects.exists() or LicenseFile.objects.exists())
    assert Event.objects.filter(action="license.delete", target_id=str(license.pk)).exists()


def _paths(license, credential, file) -> list[tuple[str, str]]:
    base = f"/api/licenses/{license.pk}"
    return [
        ("get", base),
        ("patch", base),
        ("delete", base),
        ("post", f"{base}:suspend"),
        ("post", f"{base}:resume"),
        ("post", f"{base}:revoke"),
        ("get", f"{base}/credentials"),
        ("post", f"{base}/credentials"),
        ("patch", f"{base}/credentials/{credential.pk}"),
        ("delete", f"{base}/credentials/{credential.pk}"),
        ("get", f"{base}/files"),
        ("get", f"{base}/files/{file.pk}"),
    ]


@pytest.fixture
def owned(own_keyring, alice, tenant_a, license):
    credential = services.credential_add(
        license=license, by=actor(alice, tenant_a), method="dragen_serial", serial_number="SN-OWN"
    ).credential
    return license, credential, services.license_file_issue(credential_id=credential.pk)


def test_another_tenants_admin_gets_404_everywhere(owned, as_charlie):
    for method, path in _paths(*owned):
        response = getattr(as_charlie, method)(path, {}, content_type=JSON)
        assert response.status_code == 404, (method, path, response.status_code)
    license, credential, _ = owned
    assert License.objects.get(pk=license.pk).state == "active"
    assert Credential.objects.filter(pk=credential.pk, is_enabled=True).exists()


def test_a_credential_or_file_of_another_license_is_404(owned, as_alice, alice, tenant_a):
    _, credential, file = owned
    other = sell(tenant_a, actor(alice, tenant_a), name="other")
    base = f"/api/licenses/{other.pk}"
    assert as_alice.delete(f"{base}/credentials/{credential.pk}").status_code == 404
    assert as_alice.get(f"{base}/files/{file.pk}").status_code == 404


def test_a_member_is_refused_and_an_anonymous_caller_must_authenticate(owned, as_bob, client):
    for method, path in _paths(*owned):
        assert getattr(as_bob, method)(path, {}, content_type=JSON).status_code == 403, path
    assert as_bob.get("/api/licenses").status_code == 403
    anonymous = client.get("/api/licenses", HTTP_HOST="acme.localhost")
    assert anonymous.status_code in (401, 403)


def test_a_license_created_by_api_gets_its_term_in_whole_seconds(as_alice):
    ends = (timezone.now() + timedelta(days=10)).isoformat()
    body = as_alice.post(
        "/api/licenses", {"name": "short", "sources": ["OMIM"], "ends_at": ends}, content_type=JSON
    ).json()
    assert License.objects.get(pk=body["id"]).ends_at.microsecond == 0
