"""API calls without a cookie skip the browser's middleware; with one they are a browser's."""

from tests.conftest import client_for
from tests.helpers import bearer, make_key, token


def test_a_bearer_call_touches_no_session_and_sets_no_cookie(alice, tenant_a):
    client = bearer(token(make_key(alice, tenant_a)[1], "acme.localhost"), "acme.localhost")
    response = client.get("/api/me")
    assert response.status_code == 200
    assert not response.cookies and "Cookie" not in response.get("Vary", "")
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"


def test_a_signed_in_browser_still_calls_the_api_with_its_session(alice, tenant_a):
    response = client_for("acme.localhost", alice).get("/api/me")
    assert response.status_code == 200 and response.json()["email"] == alice.email


def test_a_session_made_at_another_tenant_is_a_strangers_on_the_api_too(alice, tenant_a, tenant_b):
    browser = client_for("acme.localhost", alice)
    browser.defaults["HTTP_HOST"] = "globex.localhost"  # the same cookie, replayed at another tenant
    assert browser.get("/api/me").status_code in (401, 403)
