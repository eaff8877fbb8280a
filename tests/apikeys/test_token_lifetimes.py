"""Tokens do not outlive what backed them: a refresh chain ends with the tenant's longest session
and once the account has a second factor; deactivation ends every token minted before it for
good; removal ends the member's keys and tokens, and joining again brings none of them back."""

import base64
import time

import jwt
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.test import Client

from accounts.models import Membership
from apikeys import keyring, tokens
from tests.conftest import change_tenant, client_for
from tests.factories import PASSWORD, UserFactory
from tests.helpers import bearer, exchange, make_key, tenant_admin_form, token

JSON = "application/json"
HOUR = 3600


def _password_token(user, host="acme.localhost") -> str:
    basic = base64.b64encode(f"{user.email}:{PASSWORD}".encode()).decode()
    response = Client(HTTP_HOST=host).post("/api/tokens", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _refresh(token_text: str):
    return bearer(token_text).post("/api/tokens:refresh")


def _signed_earlier(user, tenant, *, seconds_ago: int, lifetime: int, auth_time: bool = True) -> str:
    """A password token as the portal signed it `seconds_ago` (its own key, its own claims), still
    within its lifetime: what a client holding one from back then presents now. The membership
    is made older than it, as it would be."""
    issued = int(time.time()) - seconds_ago
    membership = Membership.objects.get(user=user, tenant=tenant)
    membership.tokens_valid_from = None
    membership.save()
    body = tokens.claims(
        issuer=settings.PORTAL_JWT_ISSUER,
        user_id=str(user.pk),
        tenant_id=str(tenant.pk),
        workgroup_ids=[],
        amr=tokens.AMR_PASSWORD,
        now=issued,
        expires_at=issued + lifetime,
        auth_time=issued if auth_time else None,
    )
    return tokens.encode(body, keyring.current().signing)


def test_a_refresh_keeps_the_sign_in_time_and_never_outlives_the_longest_session(alice, tenant_a):
    change_tenant(tenant_a, session_max_hours=1, jwt_lifetime_seconds=24 * HOUR)
    first = _password_token(alice)
    claims = jwt.decode(first, options={"verify_signature": False})
    assert claims["exp"] - claims["auth_time"] == HOUR  # the tenant's longest session, not 24 h
    refreshed = jwt.decode(_refresh(first).json()["token"], options={"verify_signature": False})
    assert refreshed["auth_time"] == claims["auth_time"] and refreshed["exp"] <= claims["auth_time"] + HOUR


def test_a_refresh_chain_ends_with_the_tenants_longest_session(alice, tenant_a):
    change_tenant(tenant_a, session_max_hours=1, jwt_lifetime_seconds=24 * HOUR)
    old = _signed_earlier(alice, tenant_a, seconds_ago=HOUR + 60, lifetime=24 * HOUR)
    assert bearer(old).get("/api/me").status_code == 200  # still a valid token...
    refused = _refresh(old)  # ...but no longer refreshed: sign in again
    assert (refused.status_code, refused.json()["code"]) == (403, "not_refreshable")
    # A token minted before `auth_time` existed counts from its `iat`: no endless chain either.
    legacy = _signed_earlier(alice, tenant_a, seconds_ago=HOUR + 60, lifetime=24 * HOUR, auth_time=False)
    assert _refresh(legacy).status_code == 403
    recent = _signed_earlier(alice, tenant_a, seconds_ago=60, lifetime=24 * HOUR, auth_time=False)
    assert _refresh(recent).status_code == 200


def test_no_refresh_once_the_account_has_a_second_factor(alice, tenant_a):
    before = _password_token(alice)
    Authenticator.objects.create(user=alice, type=Authenticator.Type.TOTP, data={"secret": "x"})
    refused = _refresh(before)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_refreshable")


def test_a_token_minted_before_a_deactivation_stays_dead_after_reactivation(as_alice, bob, tenant_a):
    _, key = make_key(bob, tenant_a)
    old_key_token, old_password_token = token(key), _password_token(bob)
    time.sleep(1.01)  # tokens carry whole seconds: the deactivation is a later second
    assert as_alice.patch(f"/api/users/{bob.pk}", {"is_active": False}, content_type=JSON).status_code == 200
    assert as_alice.patch(f"/api/users/{bob.pk}", {"is_active": True}, content_type=JSON).status_code == 200
    time.sleep(1.01)
    assert bearer(old_key_token).get("/api/me").status_code == 401
    assert bearer(old_password_token).get("/api/me").status_code == 401
    assert bearer(token(key)).get("/api/me").status_code == 200  # the key itself works again


def test_django_admin_deactivation_ends_tokens_for_good_too(alice, bob, tenant_a):
    old = _password_token(bob)
    time.sleep(1.01)
    root = client_for("localhost", UserFactory(email="root@portal.test", is_staff=True, is_superuser=True))
    url = f"/admin/accounts/tenant/{tenant_a.pk}/change/"
    alice_row, bob_row = (Membership.objects.get(user=u, tenant=tenant_a) for u in (alice, bob))
    for bob_active in (False, True):  # deactivated, then reactivated, in Django admin
        form = tenant_admin_form(tenant_a, [(alice_row, "admin", True), (bob_row, "member", bob_active)])
        assert root.post(url, form).status_code == 302
    time.sleep(1.01)
    assert bearer(old).get("/api/me").status_code == 401
    assert bearer(_password_token(bob)).get("/api/me").status_code == 200


def test_a_removed_member_who_joins_again_finds_no_old_key_or_token(as_alice, bob, tenant_a):
    _, key = make_key(bob, tenant_a)
    old_key_token, old_password_token = token(key), _password_token(bob)
    time.sleep(1.01)
    assert as_alice.delete(f"/api/users/{bob.pk}").status_code == 204
    rejoin = client_for("acme.localhost", bob).post("/join")  # an open tenant
    assert rejoin.status_code == 302
    assert exchange(key).status_code == 401
    assert bearer(old_key_token).get("/api/me").status_code == 401
    assert bearer(old_password_token).get("/api/me").status_code == 401
    assert client_for("acme.localhost", bob).get("/api/apikeys").json()["count"] == 0
    assert bearer(_password_token(bob)).get("/api/me").status_code == 200  # a new sign-in works
