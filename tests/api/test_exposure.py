"""What must not be kept or exposed: a response carrying a secret is never stored by a cache or
browser, Django admin is not on tenants' domains, and the API reference keeps no pasted token."""

import pytest
from django.test import Client

from licenses.models import LicenseFile
from licenses.services import license_file_issue
from tests.conftest import client_for
from tests.helpers import actor, sell

JSON = "application/json"


def test_every_answer_carrying_a_new_secret_says_no_store(as_alice, alice, tenant_a):
    created = as_alice.post("/api/apikeys", {"name": "ci"}, content_type=JSON)
    regenerated = as_alice.post(f"/api/apikeys/{created.json()['id']}:regenerate", {}, content_type=JSON)
    license = sell(tenant_a, actor(alice, tenant_a))
    credential = as_alice.post(
        f"/api/licenses/{license.pk}/credentials", {"method": "byol"}, content_type=JSON
    )
    page = as_alice.post("/apikeys/", {"name": "page key", "scope": "all"}, follow=True)
    assert page.status_code == 200 and "page key" in page.content.decode()  # shown after the redirect
    for response in (created, regenerated, credential, page):
        assert response.status_code in (200, 201), response.content
        assert "no-store" in response["Cache-Control"]
    file = LicenseFile.objects.filter(license=license).first() or license_file_issue(
        credential_id=credential.json()["id"]
    )
    with_text = as_alice.get(f"/api/licenses/{license.pk}/files/{file.pk}")
    assert with_text.status_code == 200 and "no-store" in with_text["Cache-Control"]


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/"])
def test_django_admin_is_not_served_on_a_tenants_domain(alice, tenant_a, path):
    response = Client(HTTP_HOST="acme.localhost").get(path)
    assert response.status_code == 404
    assert Client(HTTP_HOST="localhost").get("/admin/login/").status_code == 200


def test_django_admin_on_tenants_domains_can_be_turned_on(tenant_a, settings):
    settings.PORTAL_ADMIN_ON_TENANT_HOSTS = True
    assert Client(HTTP_HOST="acme.localhost").get("/admin/login/").status_code == 200


def test_the_api_reference_keeps_no_pasted_token(as_alice):
    script = client_for("acme.localhost").get("/api/docs?script=").content.decode()
    assert "persistAuthorization" in script
    assert '"persistAuthorization": true' not in script and '"persistAuthorization":true' not in script
