"""A required second factor: asked at every sign-in in the grace days, required after them (the
sign-in stops at setting one up), of tenant admins or everyone; TOTP codes from pyotp, as an
authenticator app makes them; and password tokens, which cannot carry a second factor."""

import base64
import re
import time
from datetime import timedelta

import pyotp
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.utils import timezone

from access import services
from accounts.models import Event, Membership
from apikeys import grants
from tests.conftest import change_tenant, client_for
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.helpers import actor, make_key


def require(tenant, of="everyone", *, days_ago=0, grace=14):
    """Required `days_ago` of people who were members before that."""
    since = timezone.now() - timedelta(days=days_ago)
    earlier = since - timedelta(days=1)
    Membership.objects.filter(tenant=tenant, created_at__gt=since).update(created_at=earlier)
    change_tenant(tenant, mfa_required=of, mfa_grace_days=grace, mfa_required_since=since)


def sign_in(email: str, host: str = "acme.localhost") -> Client:
    client = Client(HTTP_HOST=host)
    client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert "_auth_user_id" in client.session
    return client


def basic(email: str):
    credentials = base64.b64encode(f"{email}:{PASSWORD}".encode()).decode()
    return Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_AUTHORIZATION=f"Basic {credentials}")


def test_in_the_grace_days_every_sign_in_asks_once_and_lets_people_on(tenant_a, bob):
    require(tenant_a, days_ago=3)
    for _ in range(2):
        page = sign_in("bob@acme.test")
        asked = page.get("/apikeys/")
        assert asked.status_code == 302 and asked["Location"] == "/accounts/2fa/"
        shown = page.get("/accounts/2fa/").content.decode()
        deadline = (tenant_a.mfa_required_since + timedelta(days=14)).date().isoformat()
        assert f"requires a second factor from {deadline}" in shown
        assert page.get("/apikeys/").status_code == 200  # asked, not held


def test_after_the_grace_days_a_sign_in_stops_at_setting_one_up(tenant_a, bob):
    require(tenant_a, days_ago=15)
    page = sign_in("bob@acme.test")
    for path in ["/apikeys/", "/", "/workgroups/", "/cli/device"]:
        assert page.get(path)["Location"] == "/accounts/2fa/", path
    refused = page.get("/api/me")
    assert (refused.status_code, refused.json()["code"]) == (403, "second_factor_required")
    assert page.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    assert page.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302  # allauth asks
    activate = page.get("/accounts/2fa/totp/activate/")
    assert activate.status_code == 200
    secret = re.search(r'value="([A-Z2-7]{16,})"', activate.content.decode()).group(1)
    done = page.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    assert page.get("/apikeys/").status_code == 200
    assert Event.objects.filter(tenant=tenant_a, action="login", actor_email="bob@acme.test").exists()


def test_a_totp_sign_in_meets_the_requirement_with_pyotps_code(tenant_a, bob):
    secret = generate_totp_secret()
    TOTP.activate(bob, secret)
    require(tenant_a, days_ago=30)
    page = Client(HTTP_HOST="acme.localhost")
    stage = page.post("/accounts/login/", {"login": "bob@acme.test", "password": PASSWORD})
    assert stage["Location"] == "/accounts/2fa/authenticate/"
    app = pyotp.TOTP(secret)  # the authenticator app
    wrong = f"{(int(app.now()) + 1) % 1_000_000:06d}"
    assert page.post("/accounts/2fa/authenticate/", {"code": wrong}).status_code == 200  # the form again
    assert page.get("/apikeys/")["Location"].startswith("/accounts/login/")  # not signed in yet
    page.post("/accounts/2fa/authenticate/", {"code": app.now()})
    assert page.get("/apikeys/").status_code == 200


def test_admins_only_leaves_members_alone(tenant_a, alice, bob):
    require(tenant_a, "admins", days_ago=30)
    assert sign_in("bob@acme.test").get("/apikeys/").status_code == 200
    assert sign_in("alice@acme.test").get("/apikeys/")["Location"] == "/accounts/2fa/"


def test_someone_who_joins_later_has_grace_days_of_their_own(tenant_a):
    require(tenant_a, days_ago=30)
    newcomer = UserFactory(email="new@acme.test")
    MembershipFactory(tenant=tenant_a, user=newcomer, created_at=timezone.now() - timedelta(days=2))
    page = sign_in("new@acme.test")
    assert page.get("/apikeys/")["Location"] == "/accounts/2fa/"
    assert page.get("/apikeys/").status_code == 200  # asked; still in the grace days


def test_another_tenants_requirement_is_not_this_ones(tenant_a, tenant_b, bob):
    MembershipFactory(tenant=tenant_b, user=bob)
    require(tenant_b, days_ago=30)
    assert sign_in("bob@acme.test").get("/apikeys/").status_code == 200
    assert sign_in("bob@acme.test", "globex.localhost").get("/apikeys/")["Location"] == "/accounts/2fa/"


def test_a_password_token_cannot_carry_the_factor_once_it_is_required(tenant_a, bob):
    require(tenant_a, days_ago=3)
    minted = basic("bob@acme.test")
    assert minted.status_code == 200  # in the grace days
    token = minted.json()["token"]
    require(tenant_a, days_ago=15)
    refused = basic("bob@acme.test")
    assert (refused.status_code, refused.json()["code"]) == (403, "second_factor_required")
    refresh = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {token}").post(
        "/api/tokens:refresh"
    )
    assert refresh.status_code == 403
    _, key = make_key(bob, tenant_a)
    assert Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_X_API_KEY=key).status_code == 200


def test_widening_the_requirement_starts_the_grace_days_anew_and_off_forgets_it(tenant_a, alice):
    by = actor(alice, tenant_a)
    services.mfa_policy_update(tenant=tenant_a, by=by, required="admins", grace_days=7, passkey_login=False)
    first = tenant_a.mfa_required_since
    assert first is not None
    services.mfa_policy_update(tenant=tenant_a, by=by, required="admins", grace_days=10, passkey_login=True)
    assert tenant_a.mfa_required_since == first
    services.mfa_policy_update(tenant=tenant_a, by=by, required="everyone", grace_days=10, passkey_login=True)
    assert tenant_a.mfa_required_since > first
    services.mfa_policy_update(tenant=tenant_a, by=by, required="off", grace_days=10, passkey_login=True)
    assert tenant_a.mfa_required_since is None
    assert Event.objects.filter(tenant=tenant_a, action="access.mfa").count() == 4


def test_admins_set_it_on_the_page_and_through_the_api_and_members_cannot(tenant_a, alice, bob):
    page = client_for("acme.localhost", alice)
    saved = page.post(
        "/settings/access/", {"form": "mfa", "required": "everyone", "grace_days": "7", "passkey_login": "on"}
    )
    assert saved.status_code == 302
    tenant_a.refresh_from_db()
    assert (tenant_a.mfa_required, tenant_a.mfa_grace_days, tenant_a.passkey_login) == ("everyone", 7, True)
    assert "required from" in page.get("/settings/access/").content.decode()
    assert (
        page.post("/settings/access/", {"form": "mfa", "required": "some", "grace_days": "7"}).status_code
        == 400
    )
    _, key = make_key(alice, tenant_a)
    token = Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_X_API_KEY=key).json()["token"]
    api = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/tenant/mfa").json()["required"] == "everyone"
    changed = api.patch(
        "/api/tenant/mfa", {"required": "admins", "grace_days": 0}, content_type="application/json"
    )
    assert changed.json()["grace_days"] == 0 and changed.json()["passkey_login"] is True
    assert (
        api.patch("/api/tenant/mfa", {"grace_days": 91}, content_type="application/json").status_code == 400
    )
    _, bobs = make_key(bob, tenant_a)
    bob_token = Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_X_API_KEY=bobs).json()["token"]
    member = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {bob_token}")
    assert (
        member.patch("/api/tenant/mfa", {"required": "off"}, content_type="application/json").status_code
        == 403
    )
    assert Membership.objects.get(user=bob).role == "member"


def test_requiring_it_later_holds_sessions_already_open(tenant_a, bob):
    page = sign_in("bob@acme.test")
    assert page.get("/apikeys/").status_code == 200
    require(tenant_a, days_ago=30)
    assert page.get("/apikeys/")["Location"] == "/accounts/2fa/"


def test_removing_ones_last_factor_holds_the_session_at_once(tenant_a, bob):
    secret = generate_totp_secret()
    TOTP.activate(bob, secret)
    require(tenant_a, days_ago=30)
    page = Client(HTTP_HOST="acme.localhost")
    page.post("/accounts/login/", {"login": "bob@acme.test", "password": PASSWORD})
    page.post("/accounts/2fa/authenticate/", {"code": pyotp.TOTP(secret).now()})
    assert page.get("/apikeys/").status_code == 200
    page.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert page.post("/accounts/2fa/totp/deactivate/").status_code == 302
    assert page.get("/apikeys/")["Location"] == "/accounts/2fa/"


def test_widening_to_everyone_gives_admins_no_new_grace_days(tenant_a, alice, bob):
    require(tenant_a, "admins", days_ago=60, grace=0)
    change_tenant(tenant_a, mfa_admins_since=tenant_a.mfa_required_since)
    services.mfa_policy_update(
        tenant=tenant_a, by=actor(alice, tenant_a), required="everyone", grace_days=14, passkey_login=False
    )
    assert basic("alice@acme.test").json()["code"] == "second_factor_required"  # still past her deadline
    assert basic("bob@acme.test").status_code == 200  # his grace days just began
    assert sign_in("alice@acme.test").get("/apikeys/")["Location"] == "/accounts/2fa/"


def test_a_passkey_alone_token_stops_refreshing_once_passkeys_may_not_sign_in_alone(tenant_a, bob):
    change_tenant(tenant_a, passkey_login=True)
    issued = grants.token_for_sign_in(
        user_id=bob.pk, tenant=tenant_a, amr=["hwk", "mfa"], auth_time=int(time.time())
    )
    bearer = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {issued.token}")
    assert bearer.post("/api/tokens:refresh").status_code == 200
    change_tenant(tenant_a, passkey_login=False)
    assert bearer.post("/api/tokens:refresh").status_code == 403


def test_a_sign_in_by_someone_not_a_member_is_no_event_of_the_tenant(tenant_a, tenant_b, charlie):
    Client(HTTP_HOST="acme.localhost").post(
        "/accounts/login/", {"login": "charlie@globex.test", "password": PASSWORD}
    )
    assert not Event.objects.filter(tenant=tenant_a, action="login").exists()
