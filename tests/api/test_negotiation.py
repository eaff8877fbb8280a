"""Every API answers ICA's clients, which ask for JSON by vendor media types (core.negotiation)."""

import json

import pytest
from django.test import Client

from tests.helpers import bearer, make_key, token

V3 = "application/vnd.illumina.v3+json"


@pytest.mark.parametrize(
    ("accept", "answered"),
    [
        (V3, V3),
        ("application/vnd.illumina.v2+json", "application/vnd.illumina.v2+json"),
        ("application/vnd.illumina.v4+json", "application/vnd.illumina.v4+json"),
        (f"application/problem+json, {V3}", V3),  # what libica sends
        ("application/problem+json", "application/json"),
        (f"application/json, {V3}", "application/json"),
        ("*/*", "application/json"),
    ],
)
def test_a_vendor_type_is_answered_as_json_labelled_with_it(alice, tenant_a, accept, answered):
    text = make_key(alice, tenant_a)[1]
    response = bearer(token(text)).get("/api/me", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == answered
    assert response.json()["email"] == alice.email


def test_the_token_endpoint_takes_icas_accept_header(alice, tenant_a):
    text = make_key(alice, tenant_a)[1]
    response = Client(HTTP_HOST="acme.localhost").post(
        "/api/tokens", HTTP_X_API_KEY=text, HTTP_ACCEPT=f"application/problem+json, {V3}"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith(V3)
    assert response.json()["token"]


def test_an_error_asked_for_by_a_vendor_type_is_still_a_problem(tenant_a):
    response = Client(HTTP_HOST="acme.localhost").get("/api/me", HTTP_ACCEPT=V3)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "application/vnd.illumina.v9+json"])
def test_a_type_that_is_no_json_is_a_406_problem_never_a_page(alice, tenant_a, accept):
    text = make_key(alice, tenant_a)[1]
    response = bearer(token(text)).get("/api/me", HTTP_ACCEPT=accept)
    assert response.status_code == 406
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 406


def test_a_body_sent_as_a_vendor_type_is_read_as_json(alice, tenant_a):
    text = make_key(alice, tenant_a)[1]
    response = bearer(token(text)).post(
        "/api/apikeys", json.dumps({"name": "from libica"}), content_type=f"{V3}; charset=utf-8"
    )
    assert response.status_code == 201
    assert response.json()["name"] == "from libica"


def test_a_body_of_another_type_is_still_refused(alice, tenant_a):
    text = make_key(alice, tenant_a)[1]
    response = bearer(token(text)).post("/api/apikeys", "name=x", content_type="text/plain")
    assert response.status_code == 415
