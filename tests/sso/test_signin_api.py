"""The sign-in settings in the REST API (tenant admins): read, and changed as on the page."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Event
from sso.models import SignIn
from tests.helpers import bearer, make_key, token
from tests.saml_idp.idp import IdentityProvider

URL = "/api/tenant/sign-in"


@pytest.fixture
def as_alice_api(alice, tenant_a):
    return bearer(token(make_key(alice, tenant_a)[1]))


def _patch(client, body):
    return client.patch(URL, body, content_type="application/json")


def test_an_admin_reads_and_sets_saml_through_the_api(as_alice_api, tenant_a, tmp_path):
    assert as_alice_api.get(URL).json()["mode"] == "password"
    call_command("sso_domains", tenant_a.domain, "--add", "acme.test", stdout=io.StringIO())
    idp = IdentityProvider(tmp_path)
    claims = {"email": "email", "groups": "groups"}
    body = {"mode": "both", "protocol": "saml", "organisation": "Acme Corp",
            "saml_metadata_xml": idp.metadata(), "claims": claims}  # fmt: skip
    answer = _patch(as_alice_api, body)
    assert answer.status_code == 200, answer.content
    said = answer.json()
    assert said["saml"]["entity_id"] == idp.entity_id and said["saml"]["certificate_sha256"]
    assert said["verified_domains"] == ["acme.test"] and said["claims"] == {
        "email": "email",
        "groups": "groups",
    }
    assert _patch(as_alice_api, {"organisation": "Acme"}).json()["saml"]["entity_id"] == idp.entity_id  # kept
    assert SignIn.objects.get(tenant=tenant_a).organisation == "Acme"
    assert Event.objects.filter(tenant=tenant_a, action="signin.update").count() == 2


def test_the_client_secret_is_never_read_back(as_alice_api, tenant_a, provider):
    body = {"mode": "both", "issuer": provider.issuer, "client_id": "portal", "client_secret": "s3cret-xyz"}
    answer = _patch(as_alice_api, body)
    assert answer.status_code == 200, answer.content
    assert answer.json()["client_secret_set"] is True and "s3cret-xyz" not in answer.content.decode()
    assert "s3cret-xyz" not in as_alice_api.get(URL).content.decode()


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"mode": "both"}, "issuer URL and client ID"),
        ({"mode": "nobody"}, "mode"),
        ({"claims": {"shoe_size": "x"}}, "shoe_size"),
        ({"break_glass": ["bob@acme.test"]}, "Not an active tenant admin"),
        ({"protocol": "saml", "saml_metadata_xml": "<nope"}, "could not be read as SAML metadata"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(as_alice_api, bob, tenant_a, body, said):
    answer = _patch(as_alice_api, body)
    assert answer.status_code == 400 and said in answer.content.decode()
    assert answer["Content-Type"].startswith("application/problem+json")
    assert not SignIn.objects.filter(tenant=tenant_a).exclude(mode="password").exists()


def test_members_and_other_tenants_cannot(bob, charlie, tenant_a, tenant_b):
    member = bearer(token(make_key(bob, tenant_a)[1]))
    assert member.get(URL).status_code == 403
    assert _patch(member, {"organisation": "Mine"}).status_code == 403
    globex = token(make_key(charlie, tenant_b)[1], host="globex.localhost")
    assert bearer(globex, host="acme.localhost").get(URL).status_code == 401  # Globex's token, Acme's host
    assert not SignIn.objects.filter(tenant=tenant_a).exists()


def test_the_api_schema_documents_it(client, db):
    schema = client.get("/api/schema", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/tenant/sign-in" in schema and "SignInIn" in schema
