"""Every credential method in the table (licenses/methods.py) goes the whole way: added on the
page and through the API, its credentials.json found by the CLI as the tools find theirs, and
traded at the tools' endpoint for a premium.lic naming it."""

import json
import re
from urllib.parse import unquote

import pytest
from django.test import Client

import premiumlic
from licenses import keyring, methods
from licenses.models import Credential
from portal_cli import discovery
from tests.helpers import fetch

METHODS = list(methods.METHODS.values())


def _given(method) -> dict:
    return {method.given.name: method.given.example} if method.given else {}


def _download(page: str, name: str) -> str:
    link = re.search(rf'href="data:text/plain;charset=utf-8,([^"]*)" download="{re.escape(name)}"', page)
    assert link, f"no {name} to download"
    return unquote(link.group(1))


def test_the_table_and_the_format_name_the_same_methods_in_the_same_order():
    assert [method.name for method in METHODS] == [name for name, _ in premiumlic.CREDENTIAL_METHODS]
    assert {name for name, _ in discovery.METHODS.values()} >= set(methods.METHODS)


@pytest.mark.parametrize("method", METHODS, ids=[method.name for method in METHODS])
def test_a_method_goes_from_the_page_to_the_tools_and_the_cli(
    method, as_alice, own_keyring, license, tmp_path, monkeypatch
):
    response = as_alice.post(
        f"/licenses/{license.pk}/credentials", {"method": method.name, **_given(method)}, follow=True
    )
    assert response.status_code == 200 and response.redirect_chain[0][1] == 303, response.content
    credential = Credential.objects.get(license=license, method=method.name)
    page = response.content.decode()
    assert credential.shown in page
    credentials_json = _download(page, "credentials.json")

    home = tmp_path / "home"
    (home / ".ilmnAnnotations").mkdir(parents=True)
    (home / ".ilmnAnnotations" / "credentials.json").write_text(credentials_json)
    monkeypatch.setenv("HOME", str(home))
    found = discovery.discover(environ={})
    assert discovery.METHODS[found.deciding][0] == method.name

    issued = fetch(found.body())
    assert issued.status_code == 200, issued.content
    payload = keyring.current().verify(issued.content.decode())
    assert payload["method"] == method.name and payload["lid"] == str(license.pk)


@pytest.mark.parametrize("method", METHODS, ids=[method.name for method in METHODS])
def test_a_method_is_added_through_the_api_with_its_secrets_once(method, as_alice, license):
    response = as_alice.post(
        f"/api/licenses/{license.pk}/credentials",
        json.dumps({"method": method.name, **_given(method)}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["method"] == method.name
    assert set(body) >= {name for name, _ in method.secrets}
    credential = Credential.objects.get(pk=body["id"])
    assert body["identifier"] == credential.shown
    listed = as_alice.get(f"/api/licenses/{license.pk}/credentials").json()["results"]
    assert [(item["method"], set(item) & {name for name, _ in method.secrets}) for item in listed] == [
        (method.name, set())  # secrets never again
    ]


def test_the_api_schema_names_every_method_and_what_each_is_given(as_alice):
    schema = Client(HTTP_HOST="acme.localhost").get("/api/schema", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/licenses/{license_id}/credentials"]["post"]
    variants = operation["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    named = [name for variant in variants for name in variant["properties"]["method"]["enum"]]
    assert sorted(named) == sorted(methods.METHODS)
