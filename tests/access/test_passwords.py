"""Tenant password policies at sign-up, change, reset and the API; history and expiry as time
passes; and the rule for a person in two tenants: new passwords meet the stricter policy, and a
sign-in to a stricter tenant with a password that no longer meets it forces a change."""

import base64
import itertools
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Event, User
from tests.conftest import change_tenant, client_for
from tests.factories import PASSWORD, MembershipFactory
from tests.helpers import make_key

STRONG = "Nightly-Annotation-Run-42"  # upper, lower, digit, symbol; 25 characters


def strict(tenant, **rules):
    defaults = {"password_min_length": 14, "password_classes": ["upper", "digit", "symbol"]}
    change_tenant(tenant, **{**defaults, **rules})


def sign_in(email: str, password: str = PASSWORD, host: str = "acme.localhost") -> Client:
    client = Client(HTTP_HOST=host)
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert "_auth_user_id" in client.session, response.content.decode()[:500]
    return client


def change(client: Client, old: str, new: str):
    return client.post("/accounts/password/change/", {"oldpassword": old, "password1": new, "password2": new})


def basic(email: str, password: str, host: str = "acme.localhost"):
    credentials = base64.b64encode(f"{email}:{password}".encode()).decode()
    return Client(HTTP_HOST=host).post("/api/tokens", HTTP_AUTHORIZATION=f"Basic {credentials}")


def test_sign_up_meets_the_tenants_rules_and_says_what_is_missing(tenant_a):
    strict(tenant_a)
    change_tenant(tenant_a, signup_mode="open")
    page = Client(HTTP_HOST="acme.localhost")
    weak = page.post(
        "/accounts/signup/",
        {"email": "new@acme.test", "password1": "lowercase-only-long", "password2": "lowercase-only-long"},
    )
    body = weak.content.decode()
    assert (
        weak.status_code == 200
        and "It must have a digit." in body
        and "It must have an upper-case letter." in body
    )
    assert not User.objects.filter(email="new@acme.test").exists()
    common = page.post(
        "/accounts/signup/",
        {"email": "new@acme.test", "password1": "Password123!", "password2": "Password123!"},
    )
    assert "It must have at least 14 characters." in common.content.decode()
    done = page.post(
        "/accounts/signup/", {"email": "new@acme.test", "password1": STRONG, "password2": STRONG}
    )
    assert done.status_code == 302 and User.objects.filter(email="new@acme.test").exists()


def test_djangos_common_and_similarity_checks_always_run(tenant_a, bob):
    change_tenant(tenant_a, password_min_length=8)
    page = sign_in("bob@acme.test")
    assert "too common" in change(page, PASSWORD, "password").content.decode()
    assert "too similar" in change(page, PASSWORD, "bob@acme.test1").content.decode()


def test_a_change_meets_the_rules_and_the_last_n_passwords_never_come_back(settings, tenant_a, bob):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "change_password": ""}  # many changes
    strict(tenant_a, password_history=3)
    page = sign_in("bob@acme.test")
    assert (
        "It must have an upper-case letter."
        in change(page, PASSWORD, "all-lower-but-long-1").content.decode()
    )
    passwords = [PASSWORD, "First-Strong-Pass-1", "Second-Strong-Pass-2", "Third-Strong-Pass-3"]
    for old, new in itertools.pairwise(passwords):
        assert change(page, old, new).status_code == 302, new
    again = change(page, passwords[-1], passwords[-3])  # two changes ago
    assert "It must differ from your last 3 passwords." in again.content.decode()
    assert "It must differ" in change(page, passwords[-1], passwords[-1]).content.decode()  # the current one
    assert change(page, passwords[-1], PASSWORD.title() + "-9").status_code == 302
    change_tenant(tenant_a, password_history=2)
    assert change(page, PASSWORD.title() + "-9", passwords[-2]).status_code == 302  # three back: allowed now


def test_a_reset_meets_the_rules_too(tenant_a, bob):
    strict(tenant_a)
    Client(HTTP_HOST="acme.localhost").post("/accounts/password/reset/", {"email": "bob@acme.test"})
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", mail.outbox[-1].body).group(0)
    page = Client(HTTP_HOST="acme.localhost")
    form_url = page.get(urlsplit(link).path)["Location"]
    weak = page.post(form_url, {"password1": "lowercase-only-long", "password2": "lowercase-only-long"})
    assert "It must have a digit." in weak.content.decode()
    assert page.post(form_url, {"password1": STRONG, "password2": STRONG}).status_code == 302
    assert sign_in("bob@acme.test", STRONG)


def test_a_password_the_rules_no_longer_accept_is_changed_before_anything_else(tenant_a, bob):
    strict(tenant_a)  # after bob chose his all-lower-case password
    page = sign_in("bob@acme.test")
    refused = page.get("/apikeys/")
    assert refused.status_code == 302 and refused["Location"] == "/accounts/password/change/"
    shown = page.get("/accounts/password/change/").content.decode()
    assert "no longer meets Acme Genomics&#x27;s rules" in shown
    assert page.get("/api/me").status_code == 403  # with the session cookie (the API docs)
    assert change(page, PASSWORD, STRONG).status_code == 302
    assert page.get("/apikeys/").status_code == 200
    assert sign_in("bob@acme.test", STRONG).get("/apikeys/").status_code == 200


def test_a_password_older_than_allowed_is_changed_at_the_next_sign_in(tenant_a, bob):
    change_tenant(tenant_a, password_max_age_days=90)
    User.objects.filter(pk=bob.pk).update(password_changed_at=timezone.now() - timedelta(days=89))
    assert sign_in("bob@acme.test").get("/apikeys/").status_code == 200
    User.objects.filter(pk=bob.pk).update(password_changed_at=timezone.now() - timedelta(days=91))
    page = sign_in("bob@acme.test")
    assert page.get("/apikeys/")["Location"] == "/accounts/password/change/"
    assert (
        "older than Acme Genomics allows (90 days)" in page.get("/accounts/password/change/").content.decode()
    )
    assert change(page, PASSWORD, STRONG).status_code == 302
    assert page.get("/apikeys/").status_code == 200


def test_password_token_exchange_is_refused_until_the_password_is_changed(tenant_a, bob):
    assert basic("bob@acme.test", PASSWORD).status_code == 200
    strict(tenant_a)
    refused = basic("bob@acme.test", PASSWORD)
    assert (refused.status_code, refused.json()["code"]) == (403, "password_change_required")
    assert basic("bob@acme.test", "a-wrong-password").status_code == 401  # a wrong one learns nothing
    _, key = make_key(bob, tenant_a)
    assert Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_X_API_KEY=key).status_code == 200


def test_a_member_of_two_tenants_meets_the_stricter_and_signs_in_to_it_only_after_a_change(
    tenant_a, tenant_b, bob
):
    MembershipFactory(tenant=tenant_b, user=bob)
    change_tenant(tenant_b, password_min_length=30)  # bob's is 28 characters
    assert sign_in("bob@acme.test").get("/apikeys/").status_code == 200  # Acme's rules: fine
    at_globex = sign_in("bob@acme.test", host="globex.localhost")
    assert at_globex.get("/apikeys/")["Location"] == "/accounts/password/change/"
    at_acme = sign_in("bob@acme.test")
    short = change(at_acme, PASSWORD, STRONG)  # 25 characters: enough for Acme, not for Globex
    assert "It must have at least 30 characters." in short.content.decode()
    assert change(at_acme, PASSWORD, STRONG + "-and-longer").status_code == 302


def test_admins_set_the_rules_on_the_page_and_through_the_api_and_each_change_is_an_event(
    tenant_a, alice, bob
):
    page = client_for("acme.localhost", alice)
    saved = page.post(
        "/settings/access/",
        {
            "form": "passwords",
            "min_length": "16",
            "classes": ["upper", "symbol"],
            "history": "5",
            "max_age_days": "180",
        },
    )
    assert saved.status_code == 302
    tenant_a.refresh_from_db()
    assert (
        tenant_a.password_min_length,
        tenant_a.password_classes,
        tenant_a.password_history,
        tenant_a.password_max_age_days,
    ) == (16, ["symbol", "upper"], 5, 180)
    assert (
        page.post(
            "/settings/access/", {"form": "passwords", "min_length": "7", "history": "0", "max_age_days": "0"}
        ).status_code
        == 400
    )
    _, key = make_key(alice, tenant_a)
    token = Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_X_API_KEY=key).json()["token"]
    api = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/tenant/passwords").json() == {
        "min_length": 16,
        "classes": ["symbol", "upper"],
        "history": 5,
        "max_age_days": 180,
    }
    changed = api.patch(
        "/api/tenant/passwords", {"max_age_days": 0, "classes": ["digit"]}, content_type="application/json"
    )
    assert changed.json() == {"min_length": 16, "classes": ["digit"], "history": 5, "max_age_days": 0}
    assert (
        api.patch(
            "/api/tenant/passwords", {"classes": ["emoji"]}, content_type="application/json"
        ).status_code
        == 400
    )
    assert [e.data for e in Event.objects.filter(action="access.passwords").order_by("created_at")][-1] == {
        "password_classes": ["digit"],
        "password_max_age_days": 0,
    }
    _, bobs = make_key(bob, tenant_a)
    bob_token = Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_X_API_KEY=bobs).json()["token"]
    member = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {bob_token}")
    assert (
        member.patch("/api/tenant/passwords", {"min_length": 8}, content_type="application/json").status_code
        == 403
    )


@pytest.mark.parametrize("length", [7, 129])
def test_the_shortest_password_is_between_8_and_128(tenant_a, alice, length):
    from access.services import password_policy_update
    from core.errors import ServiceError
    from tests.helpers import actor

    with pytest.raises(ServiceError):
        password_policy_update(
            tenant=tenant_a,
            by=actor(alice, tenant_a),
            min_length=length,
            classes=[],
            history=0,
            max_age_days=0,
        )


def test_a_password_token_is_not_refreshed_once_the_password_is_older_than_allowed(tenant_a, bob):
    token = basic("bob@acme.test", PASSWORD).json()["token"]
    bearer = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert bearer.post("/api/tokens:refresh").status_code == 200
    change_tenant(tenant_a, password_max_age_days=30)
    User.objects.filter(pk=bob.pk).update(date_joined=timezone.now() - timedelta(days=31))
    assert bearer.post("/api/tokens:refresh").status_code == 403
