import base64
import uuid
from datetime import timedelta

import jwt
import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import change_tenant
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.helpers import bearer, exchange, make_key, token


def basic(email: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()


def claims_of(token_text: str) -> dict:
    return jwt.decode(token_text, options={"verify_signature": False})


def test_an_api_key_buys_a_bearer_token_with_the_documented_claims(alice, tenant_a, alice_key):
    apikey, text = alice_key
    response = exchange(text)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == tenant_a.jwt_lifetime_seconds
    assert response["Cache-Control"] == "no-store"
    header = jwt.get_unverified_header(body["token"])
    assert header["alg"] == "ES256" and header["kid"]
    claims = claims_of(body["token"])
    assert claims["iss"] == "http://portal.localhost"
    assert claims["aud"] == "portal-api"
    assert claims["sub"] == str(alice.pk)
    assert claims["tid"] == str(tenant_a.pk)
    assert claims["akid"] == str(apikey.pk)
    assert claims["amr"] == ["apikey"]
    assert claims["exp"] - claims["iat"] == tenant_a.jwt_lifetime_seconds
    assert claims["nbf"] == claims["iat"] and claims["jti"]


def test_the_token_lets_its_holder_call_the_api(alice, alice_key):
    response = bearer(token(alice_key[1])).get("/api/me")
    assert response.status_code == 200
    assert response.json()["email"] == alice.email


def test_a_token_never_outlives_its_key(alice, tenant_a):
    _, text = make_key(alice, tenant_a, expires_at=timezone.now() + timedelta(seconds=120))
    body = exchange(text).json()
    assert 100 < body["expires_in"] <= 120


@pytest.mark.parametrize(
    "credentials",
    [
        "wrong-key",
        "bad-checksum",
        "unknown-key",
        "other-tenant-key",
        "wrong-password",
        "unknown-email",
        "none",
    ],
)
def test_every_bad_credential_gets_the_same_401(alice, charlie, tenant_b, alice_key, credentials):
    good = alice_key[1]
    headers = {
        "wrong-key": {"HTTP_X_API_KEY": "pak_nope"},
        "bad-checksum": {"HTTP_X_API_KEY": good[:-1] + ("A" if good[-1] != "A" else "B")},
        "unknown-key": {"HTTP_X_API_KEY": _valid_unknown_key()},
        "other-tenant-key": {"HTTP_X_API_KEY": make_key(charlie, tenant_b)[1]},
        "wrong-password": {"HTTP_AUTHORIZATION": basic(alice.email, "not-the-password")},
        "unknown-email": {"HTTP_AUTHORIZATION": basic("nobody@acme.test", "not-the-password")},
        "none": {},
    }[credentials]
    response = Client(HTTP_HOST="acme.localhost").post("/api/tokens", **headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Invalid credentials.",
        "code": "invalid_credentials",
    }
    assert response["WWW-Authenticate"].startswith("Basic")


def _valid_unknown_key() -> str:
    from apikeys import keys

    return keys.generate()


def test_email_and_password_buy_a_password_token_for_the_hosts_tenant(alice, tenant_a):
    response = Client(HTTP_HOST="acme.localhost").post(
        "/api/tokens", HTTP_AUTHORIZATION=basic("ALICE@acme.test", PASSWORD)
    )
    assert response.status_code == 200
    claims = claims_of(response.json()["token"])
    assert claims["amr"] == ["pwd"] and "akid" not in claims
    assert claims["tid"] == str(tenant_a.pk)


def test_on_a_host_that_is_no_tenants_the_tenant_parameter_names_it(alice, tenant_a):
    client = Client(HTTP_HOST="localhost")
    response = client.post(
        "/api/tokens?tenant=acme.localhost", HTTP_AUTHORIZATION=basic(alice.email, PASSWORD)
    )
    assert response.status_code == 200
    assert claims_of(response.json()["token"])["tid"] == str(tenant_a.pk)
    assert client.post("/api/tokens", HTTP_AUTHORIZATION=basic(alice.email, PASSWORD)).status_code == 401


def test_the_tenant_parameter_tells_a_stranger_nothing_about_which_domains_exist(alice, tenant_a):
    """The password is checked before the tenant is looked up: an unknown and a known domain get
    the same answers, and a guess at an unknown one counts against the account like any other."""
    client = Client(HTTP_HOST="localhost")
    wrong = basic(alice.email, "wrong-password-1")
    for domain in (
        "nowhere.example",
        "acme.localhost",
        "nowhere.example",
        "acme.localhost",
        "nowhere.example",
    ):
        assert client.post(f"/api/tokens?tenant={domain}", HTTP_AUTHORIZATION=wrong).status_code == 401
    # Five failures, three of them at an unknown domain: the account is locked, known domain or not.
    for domain in ("nowhere.example", "acme.localhost"):
        response = client.post(
            f"/api/tokens?tenant={domain}", HTTP_AUTHORIZATION=basic(alice.email, PASSWORD)
        )
        assert response.status_code == 429, domain


def test_password_tokens_are_refused_to_non_members(charlie, tenant_a):
    response = Client(HTTP_HOST="acme.localhost").post(
        "/api/tokens", HTTP_AUTHORIZATION=basic(charlie.email, PASSWORD)
    )
    assert response.status_code == 401


def test_a_key_token_works_on_a_host_that_is_no_tenants_and_picks_the_keys_tenant(alice, tenant_a, alice_key):
    token_text = token(alice_key[1], host="localhost")
    response = bearer(token_text, host="localhost").get("/api/me")
    assert response.status_code == 200
    assert response.json()["tenant"]["domain"] == "acme.localhost"


def test_a_password_token_refreshes_into_a_new_one(alice, tenant_a):
    first = Client(HTTP_HOST="acme.localhost").post(
        "/api/tokens", HTTP_AUTHORIZATION=basic(alice.email, PASSWORD)
    )
    response = bearer(first.json()["token"]).post("/api/tokens:refresh")
    assert response.status_code == 200
    refreshed = claims_of(response.json()["token"])
    assert refreshed["amr"] == ["pwd"] and refreshed["jti"] != claims_of(first.json()["token"])["jti"]


def test_a_key_token_is_not_refreshable(alice, alice_key):
    response = bearer(token(alice_key[1])).post("/api/tokens:refresh")
    assert response.status_code == 403
    assert response.json()["code"] == "not_refreshable"


def test_refresh_needs_a_bearer_token(alice, as_alice):
    assert as_alice.post("/api/tokens:refresh").status_code == 401


def test_an_account_with_two_factor_authentication_cannot_use_its_password_here(alice):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=alice, type=Authenticator.Type.TOTP, data={"secret": "x"})
    response = Client(HTTP_HOST="acme.localhost").post(
        "/api/tokens", HTTP_AUTHORIZATION=basic(alice.email, PASSWORD)
    )
    assert response.status_code == 401


def test_a_locked_account_is_refused_even_with_the_right_password(tenant_a):
    user = UserFactory(email=f"locked-{uuid.uuid4().hex[:8]}@acme.test")
    MembershipFactory(tenant=tenant_a, user=user)
    client = Client(HTTP_HOST="acme.localhost")
    for _ in range(5):  # allauth's default: 5 failures per 5 minutes per account
        assert client.post("/api/tokens", HTTP_AUTHORIZATION=basic(user.email, "wrong")).status_code == 401
    response = client.post("/api/tokens", HTTP_AUTHORIZATION=basic(user.email, PASSWORD))
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


def test_the_token_endpoint_is_rate_limited_per_client_address(settings, alice, alice_key):
    settings.PORTAL_RATES = {"tokens-ip": "3/m", "tokens-account": ""}
    codes = [exchange(alice_key[1]).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_the_token_endpoint_is_rate_limited_per_key(settings, alice, alice_key, tenant_a):
    settings.PORTAL_RATES = {"tokens-ip": "", "tokens-account": "2/m"}
    other = make_key(alice, tenant_a, name="other")[1]
    assert [exchange(alice_key[1]).status_code for _ in range(3)] == [200, 200, 429]
    assert exchange(other).status_code == 200
    response = exchange(alice_key[1])
    assert int(response["Retry-After"]) <= 60


def test_the_token_endpoint_is_rate_limited_per_email_before_any_password_is_checked(settings, tenant_a):
    user = UserFactory(email=f"limited-{uuid.uuid4().hex[:8]}@acme.test")  # a counter of its own
    MembershipFactory(tenant=tenant_a, user=user)
    settings.PORTAL_RATES = {"tokens-ip": "", "tokens-account": "2/h"}  # no window ends mid-test
    client = Client(HTTP_HOST="acme.localhost")
    codes = [
        client.post("/api/tokens", HTTP_AUTHORIZATION=basic(user.email, PASSWORD)).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    # the same account however the address is written; another account is counted apart
    assert client.post("/api/tokens", HTTP_AUTHORIZATION=basic(user.email.upper(), "x")).status_code == 429
    stranger = f"stranger-{uuid.uuid4().hex[:8]}@acme.test"
    assert client.post("/api/tokens", HTTP_AUTHORIZATION=basic(stranger, "x")).status_code == 401


def test_a_key_of_a_deactivated_tenant_buys_nothing(alice, tenant_a, alice_key):
    change_tenant(tenant_a, is_active=False)
    assert exchange(alice_key[1], host="localhost").status_code == 401


def test_exchanging_a_known_key_again_makes_no_query(alice, tenant_a, alice_key, usage_in_memory):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token(alice_key[1])  # the first exchange looks the key up and records its use
    with CaptureQueriesContext(connection) as queries:
        assert exchange(alice_key[1]).status_code == 200
    assert queries.captured_queries == []


def test_a_revoked_key_buys_nothing_even_after_it_was_exchanged(alice, tenant_a, alice_key):
    from accounts.models import Membership
    from accounts.services import Actor
    from apikeys.services import apikey_revoke

    token(alice_key[1])
    owner = Actor(user=alice, membership=Membership.objects.get(user=alice, tenant=tenant_a))
    apikey_revoke(apikey=alice_key[0], by=owner)
    assert exchange(alice_key[1]).status_code == 401
    assert exchange(alice_key[1], host="localhost").status_code == 401
