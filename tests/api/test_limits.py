"""What the fuzzer found and what the issue names, pinned: size caps, strict input types and
query parameters, NUL characters, every error a problem, every operation closed without
credentials — checked on every operation the schema lists, not only a sample."""

import base64
import json
import re
import time
import uuid

import pytest
from django.test import Client

from tests.conftest import client_for

JSON = "application/json"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client(HTTP_HOST="localhost").get(
            "/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json"
        )
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema, secured=None):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            needs = any(requirement for requirement in operation.get("security", []))
            if secured is None or needs == secured:
                yield method, path.replace("{", "").replace("}", ""), operation


def concrete(path: str) -> str:
    """A path template with each `{name}` (braces already dropped by `operations`) made an id."""
    return re.sub(r"\b[a-z]+_id\b", lambda _: str(uuid.uuid4()), path)


def test_every_operation_that_declares_credentials_refuses_a_request_without_them(schema, tenant_a):
    anonymous = client_for("acme.localhost")
    checked = 0
    for method, path, _ in operations(schema, secured=True):
        response = anonymous.generic(method.upper(), concrete(path), "{}", content_type=JSON)
        assert response.status_code == 401, (method, path, response.content)
        assert response["Content-Type"] == PROBLEM
        checked += 1
    assert checked >= 40  # every tenant-owned operation, not a handful


def test_the_operations_open_without_credentials_are_only_the_tools_the_ping_and_the_cli_sign_in(schema):
    open_ones = {(method, path) for method, path, _ in operations(schema, secured=False)}
    assert open_ones == {
        ("get", "/api/ping"),
        ("post", "/api/licensing/premium.lic"),
        ("post", "/api/licensing/validate"),
        ("get", "/api/sign-in"),  # how the tenant signs in: its sign-in page says as much
        ("post", "/api/cli/device"),  # a device code, limited per address (cli-device-ip)
        ("post", "/api/cli/token"),  # the codes are the credentials: random, once, minutes
    }


def test_every_documented_error_is_a_problem(schema):
    for _, _, operation in operations(schema):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == [PROBLEM], (operation["operationId"], status)


def test_every_create_links_to_what_it_created(schema):
    created = schema["paths"]["/api/licenses"]["post"]["responses"]["201"]["links"]
    assert created["licenses_retrieve"]["parameters"] == {"license_id": "$response.body#/id"}
    credential = schema["paths"]["/api/licenses/{license_id}/credentials"]["post"]["responses"]["201"]
    assert credential["links"]["licenses_credentials_destroy"]["parameters"] == {
        "license_id": "$request.path.license_id",
        "credential_id": "$response.body#/id",
    }


@pytest.mark.parametrize("path", ["/api/workgroups", "/api/licensing/premium.lic", "/accounts/login/"])
def test_a_10_mb_body_is_refused_before_it_is_read(as_alice, settings, path):
    body = json.dumps({"name": "x" * 10_000_000})
    started = time.perf_counter()
    response = as_alice.post(path, body, content_type=JSON)
    assert response.status_code == 413
    assert time.perf_counter() - started < 5  # not parsed: generous for a loaded machine
    if path.startswith("/api/"):
        assert response.json()["code"] == "payload_too_large"


def test_a_body_just_under_the_cap_is_read(as_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = json.dumps({"name": "Genomics", "pad": "x" * 4000})
    assert len(body) <= 4096
    assert as_alice.post("/api/workgroups", body, content_type=JSON).status_code == 201
    assert as_alice.post("/api/workgroups", body + " " * 100, content_type=JSON).status_code == 413


@pytest.mark.parametrize(
    "query", ["page_size=1000000000", "page_size=0", "page_size=-1", "page_size=abc", "page=0", "page=x"]
)
def test_a_page_size_or_page_out_of_range_is_a_400(as_alice, query):
    response = as_alice.get(f"/api/workgroups?{query}")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert set(response.json()["errors"]) <= {"page", "page_size"}


def test_the_largest_page_size_is_served(as_alice):
    assert as_alice.get("/api/workgroups?page_size=200").status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/api/apikeys?status=AAA", "/api/apikeys?status=", "/api/tenant/apikeys?include_ended=null"],
)
def test_a_query_parameter_outside_its_values_is_a_400(as_alice, url):
    assert as_alice.get(url).status_code == 400


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/workgroups", {"name": 0}),
        ("/api/workgroups", {"name": True}),
        ("/api/apikeys", {"name": "ci", "workgroups": [5]}),
        ("/api/apikeys", {"name": "ci", "workgroups": []}),
        ("/api/users", {"email": "x@acme.test", "invite": 0}),
        ("/api/licenses", {"name": "L", "sources": ["OMIM", 1], "ends_at": "2099-01-01T00:00:00Z"}),
    ],
)
def test_a_json_value_of_another_type_than_the_schema_says_is_refused(as_alice, path, body):
    response = as_alice.post(path, body, content_type=JSON)
    assert response.status_code == 400, response.content


def test_a_nul_character_is_refused_wherever_it_could_reach_the_database(as_alice, alice, tenant_a):
    assert as_alice.get("/api/users?q=a%00b").status_code == 400
    assert as_alice.get("/api/events?actor=%00").status_code == 400
    tools = client_for("acme.localhost")
    response = tools.post("/api/licensing/premium.lic", {"DragenSerialNo": "SN\x00"}, content_type=JSON)
    assert (response.status_code, response.json()["code"]) == (400, "MALFORMED_REQUEST")
    basic = base64.b64encode(b"alice@acme.test\x00:pw").decode()
    assert tools.post("/api/tokens", HTTP_AUTHORIZATION=f"Basic {basic}").status_code == 401


def test_an_unknown_api_path_is_a_problem_not_a_page(as_alice, settings):
    settings.DEBUG = False
    response = as_alice.get("/api/workgroups/not-a-uuid/members")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize("path", ["/api/workgroups", "/api/apikeys", "/api/users"])
def test_json_nested_too_deeply_is_a_400_problem(as_alice, path):
    body = "[" * 100_000 + "]" * 100_000
    response = as_alice.post(path, body, content_type=JSON)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM and "nested too deeply" in response.json()["detail"]


def test_json_nested_too_deeply_is_a_400_at_the_tools_endpoint(tenant_a):
    body = "[" * 100_000 + "]" * 100_000
    response = Client(HTTP_HOST="acme.localhost").post("/api/licensing/premium.lic", body, content_type=JSON)
    assert (response.status_code, response.json()["code"]) == (400, "MALFORMED_REQUEST")


def test_a_premium_lic_nested_too_deeply_is_an_invalid_license_not_a_500(tenant_a):
    import premiumlic

    armoured = premiumlic._armour(("[" * 5000 + "]" * 5000).encode())
    response = Client(HTTP_HOST="acme.localhost").post(
        "/api/licensing/validate", armoured, content_type="text/plain"
    )
    assert (response.status_code, response.json()["code"]) == (200, "INVALID_LICENSE")


@pytest.mark.parametrize("body", ["\x1e", "\x1c\x1f", "\x85"])
def test_a_body_the_schema_calls_non_blank_is_read_as_a_file_not_refused_as_empty(tenant_a, body):
    # Found by make fuzz: ECMA's \S (the schema) and Python's str.strip() disagree on \x1c-\x1f, \x85.
    response = Client(HTTP_HOST="acme.localhost").post(
        "/api/licensing/validate", body.encode(), content_type="text/plain"
    )
    assert (response.status_code, response.json()["code"]) == (200, "INVALID_LICENSE")
