"""The ICA dialect's edges, through plain requests: its problems, its 501s, its tenancy on
operator hosts and the tenant's network rule (libica's own calls are in test_libica.py)."""

import base64
import json

import pytest
from django.test import Client

from tests.conftest import change_tenant
from tests.factories import PASSWORD
from tests.helpers import make_key

V3 = "application/vnd.illumina.v3+json"


def at(host: str = "acme.localhost", ip: str = "127.0.0.1", **headers) -> Client:
    headers.setdefault("HTTP_ACCEPT", f"application/problem+json, {V3}")  # as libica sends
    return Client(HTTP_HOST=host, REMOTE_ADDR=ip, **headers)


def basic(email: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()


def test_an_error_is_icas_problem_shape(tenant_a):
    response = at().get("/ica/rest/api/users")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["status"], problem["instance"], problem["parameters"]) == (401, "/ica/rest/api/users", {})
    assert problem["timestamp"].endswith("Z")


def test_invalid_input_names_its_parameters(alice, tenant_a):
    client = at(HTTP_X_API_KEY=make_key(alice, tenant_a)[1])
    problem = client.get("/ica/rest/api/eventLog?rows=1000").json()
    assert problem["status"] == 400 and "rows" in problem["parameters"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/ica/rest/api/projects", 501),  # an operation of ICA's that Portal does not do
        ("post", "/ica/rest/api/projects/p1/data/d1:createDownloadUrl", 501),
        ("get", "/ica/rest/api/eventCodes", 501),
        ("delete", "/ica/rest/api/users/6f1d1d33-4ac5-4b8a-9d3c-5a3f6b9b0c11", 405),  # ICA has none either
        ("patch", "/ica/rest/api/users/6f1d1d33-4ac5-4b8a-9d3c-5a3f6b9b0c11:approve", 405),
        ("post", "/ica/rest/api/workgroups", 405),
        ("options", "/ica/rest/api/projects", 405),
        ("get", "/ica/rest/api/no-such-thing", 404),  # no path of ICA's
        ("get", "/ica/rest/nothing", 404),
    ],
)
def test_what_portal_does_not_implement_is_a_501_and_what_ica_has_not_either_a_405_or_404(
    alice, tenant_a, method, path, status
):
    client = at(HTTP_X_API_KEY=make_key(alice, tenant_a)[1])
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["instance"] == path


def test_an_id_that_is_no_uuid_is_a_404(alice, tenant_a):
    client = at(HTTP_X_API_KEY=make_key(alice, tenant_a)[1])
    assert client.get("/ica/rest/api/users/not-a-uuid").status_code == 404
    assert client.get("/ica/rest/api/workgroups/not-a-uuid").status_code == 404


def test_answers_are_labelled_with_icas_type(alice, tenant_a):
    response = at(HTTP_X_API_KEY=make_key(alice, tenant_a)[1]).get("/ica/rest/api/system/info")
    assert response.status_code == 200 and response["Content-Type"].startswith(V3)


def test_on_an_operator_host_the_key_names_its_tenant(charlie, tenant_b):
    response = at("testserver", HTTP_X_API_KEY=make_key(charlie, tenant_b)[1]).get("/ica/rest/api/users")
    assert response.status_code == 200
    assert [user["email"] for user in response.json()["items"]] == [charlie.email]


@pytest.mark.parametrize("named", ["Globex Labs", "globex.localhost", "globex"])
def test_a_password_names_its_tenant_by_name_domain_or_slug(charlie, tenant_b, named):
    response = at("testserver", HTTP_AUTHORIZATION=basic(charlie.email)).post(
        f"/ica/rest/api/tokens?tenant={named}"
    )
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"token"}


def test_a_key_with_another_tenant_named_is_refused(charlie, tenant_a, tenant_b):
    key = make_key(charlie, tenant_b)[1]
    response = at("testserver", HTTP_X_API_KEY=key).post(f"/ica/rest/api/tokens?tenant={tenant_a.name}")
    assert response.status_code == 401
    assert (
        at("testserver", HTTP_X_API_KEY=key).post(f"/ica/rest/api/tokens?tenant={tenant_b.name}").status_code
        == 200
    )


def test_a_tenant_host_refuses_another_tenant_named(alice, tenant_a, tenant_b):
    response = at(HTTP_AUTHORIZATION=basic(alice.email)).post(f"/ica/rest/api/tokens?tenant={tenant_b.name}")
    assert response.status_code == 401


def test_a_name_two_tenants_share_names_neither(alice, tenant_a, tenant_b, charlie):
    change_tenant(tenant_b, name=tenant_a.name)
    response = at("testserver", HTTP_AUTHORIZATION=basic(charlie.email)).post(
        f"/ica/rest/api/tokens?tenant={tenant_a.name}"
    )
    assert response.status_code == 401


def test_the_tenants_api_networks_guard_the_dialect(alice, tenant_a):
    change_tenant(tenant_a, allowed_networks=["192.0.2.0/24"], networks_for_api=True)
    key = make_key(alice, tenant_a)[1]
    assert at(ip="192.0.2.7", HTTP_X_API_KEY=key).get("/ica/rest/api/users").status_code == 200
    refused = at(ip="198.51.100.20", HTTP_X_API_KEY=key).post("/ica/rest/api/tokens")
    assert (refused.status_code, refused.json()["code"]) == (403, "network_refused")


def test_the_dialect_is_not_in_portals_own_schema(tenant_a):
    schema = Client().get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["paths"] and not [path for path in schema["paths"] if not path.startswith("/api/")]


def test_a_browser_page_is_never_the_answer(tenant_a):
    response = at(HTTP_ACCEPT="text/html").get("/ica/rest/api/users")
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["status"] in (401, 406)


def test_a_request_refused_before_any_view_is_still_icas_problem(alice, tenant_a):
    response = at(HTTP_X_API_KEY=make_key(alice, tenant_a)[1]).get("/ica/rest/api/users?emailAddress=%00")
    assert response.status_code == 400
    problem = response.json()
    assert (problem["instance"], problem["parameters"]) == ("/ica/rest/api/users", {})
    assert problem["timestamp"] and response.get("Content-Length") in (None, str(len(response.content)))


def test_the_dialect_publishes_its_own_schema_of_what_it_implements(tenant_a):
    from tests.ica_document import IMPLEMENTED, document

    response = Client(HTTP_HOST="acme.localhost").get(
        "/ica/rest/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200
    schema = response.json()
    assert schema["servers"] == [{"url": "/ica/rest"}]
    ours = {
        (path, method): op["operationId"]
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }
    icas = {
        (path, method): op["operationId"]
        for path, ops in document(IMPLEMENTED)["paths"].items()
        for method, op in ops.items()
    }
    assert ours == icas  # the same paths, methods and operation ids as ICA's own document
    user = schema["components"]["schemas"]["User"]["properties"]
    assert {"id", "tenantId", "tenantAdministrator", "emailVerified"} <= set(user)


def test_a_tenant_named_by_name_from_outside_its_networks_answers_as_a_made_up_one(charlie, tenant_b):
    """Attacker review: a 403 naming the rule, before any password was checked, told strangers
    which tenant names and slugs exist. By name or slug the password is checked first, and a
    refusal is the wrong password's 401, right password or not; by domain (public) it stays 403."""
    change_tenant(tenant_b, allowed_networks=["192.0.2.0/24"], networks_for_api=True)
    outside = at("testserver", ip="198.51.100.20", HTTP_AUTHORIZATION=basic("someone@example.org", "guess"))
    made_up = outside.post("/ica/rest/api/tokens?tenant=Nope Corp")
    for named in ("Globex Labs", "globex"):
        guessed = outside.post(f"/ica/rest/api/tokens?tenant={named}")
        assert (guessed.status_code, guessed.json()["detail"]) == (
            made_up.status_code,
            made_up.json()["detail"],
        )
        right = at("testserver", ip="198.51.100.20", HTTP_AUTHORIZATION=basic(charlie.email))
        assert right.post(f"/ica/rest/api/tokens?tenant={named}").status_code == 401  # no password oracle
        inside = at("testserver", ip="192.0.2.7", HTTP_AUTHORIZATION=basic(charlie.email))
        assert inside.post(f"/ica/rest/api/tokens?tenant={named}").status_code == 200
    by_domain = outside.post("/ica/rest/api/tokens?tenant=globex.localhost")
    assert (by_domain.status_code, by_domain.json()["code"]) == (403, "network_refused")


def test_a_key_limited_to_some_workgroups_cannot_rename_its_owner(alice, tenant_a):
    from tests.factories import WorkgroupFactory, WorkgroupMembershipFactory

    group = WorkgroupFactory(tenant=tenant_a, name="Sequencing")
    WorkgroupMembershipFactory(workgroup=group, user=alice)
    narrow = at(HTTP_X_API_KEY=make_key(alice, tenant_a, workgroups=[group])[1])
    body = json.dumps({"firstname": "Mallory"})
    refused = narrow.put(f"/ica/rest/api/users/{alice.pk}", body, content_type="application/json")
    assert refused.status_code == 403
    alice.refresh_from_db()
    assert alice.full_name == "Alice Admin"
    wide = at(HTTP_X_API_KEY=make_key(alice, tenant_a)[1])
    assert (
        wide.put(f"/ica/rest/api/users/{alice.pk}", body, content_type="application/json").status_code == 200
    )


def test_a_501_is_no_server_error_in_the_log(alice, tenant_a, caplog):
    import logging

    with caplog.at_level(logging.INFO):
        assert (
            at(HTTP_X_API_KEY=make_key(alice, tenant_a)[1]).get("/ica/rest/api/projects").status_code == 501
        )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r for r in caplog.records if r.name == "ica.middleware"]
