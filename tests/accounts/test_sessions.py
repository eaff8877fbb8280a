"""Browser sessions: a new id at sign-in, dead at sign-out, ended by the tenant's idle and longest
session limits, and at once when the member is deactivated; cookies HttpOnly, SameSite=Lax, and
Secure over HTTPS."""

import time

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.middleware import SEEN_AT, SIGNED_IN_AT
from accounts.services import member_update
from tests.conftest import change_tenant
from tests.helpers import actor, bearer, exchange, make_key, token

PASSWORD = "correct-horse-battery-staple"
MINUTE, HOUR = 60, 3600


def signed_in(user) -> Client:
    """A browser that signed in through the login form, as a person does."""
    client = Client(HTTP_HOST="acme.localhost")
    client.get("/accounts/login/")  # an anonymous session may exist before signing in
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def shift(client: Client, **seconds_ago) -> None:
    """Move the session's clocks into the past, as if time had passed."""
    session = client.session
    for key, ago in seconds_ago.items():
        session[{"signed_in": SIGNED_IN_AT, "seen": SEEN_AT}[key]] = int(time.time()) - ago
    session.save()


def is_signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def test_signing_in_gives_a_new_session_id_and_signing_out_kills_it(alice):
    client = Client(HTTP_HOST="acme.localhost")
    client.get("/accounts/login/")
    session = client.session
    session["before"] = "anonymous"
    session.save()
    before = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    after = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert after != before and not Session.objects.filter(session_key=before).exists()
    assert is_signed_in(client)

    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=after).exists()
    replayed = Client(HTTP_HOST="acme.localhost")
    replayed.cookies[django_settings.SESSION_COOKIE_NAME] = after  # the stolen cookie, after sign-out
    assert replayed.get("/").status_code == 302


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(alice, settings):
    client = Client(HTTP_HOST="acme.localhost")
    client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]  # plain HTTP here
    settings.SESSION_COOKIE_SECURE = True  # what PORTAL_URL_SCHEME=https sets (tests/portal/test_deploy.py)
    client = Client(HTTP_HOST="acme.localhost")
    client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD}, secure=True)
    assert client.cookies[django_settings.SESSION_COOKIE_NAME]["secure"]


def test_a_session_idle_for_the_tenants_timeout_ends(alice, tenant_a):
    client = signed_in(alice)
    shift(client, seen=29 * MINUTE)
    assert is_signed_in(client)  # 29 minutes: still in, and the clock restarts
    assert time.time() - client.session[SEEN_AT] < MINUTE
    shift(client, seen=30 * MINUTE)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    page = client.get(response["Location"]).content.decode()
    assert "signed out after 30 minutes without activity" in page
    assert not is_signed_in(client)


def test_the_tenants_own_idle_timeout_applies(alice, tenant_a):
    change_tenant(tenant_a, session_idle_minutes=5)
    client = signed_in(alice)
    shift(client, seen=5 * MINUTE + 1)
    assert not is_signed_in(client)


def test_a_session_ends_at_its_longest_however_active(alice, tenant_a):
    client = signed_in(alice)
    shift(client, signed_in=12 * HOUR - MINUTE, seen=0)
    assert is_signed_in(client)
    shift(client, signed_in=12 * HOUR, seen=0)
    assert not is_signed_in(client)
    change_tenant(tenant_a, session_max_hours=1)
    client = signed_in(alice)
    shift(client, signed_in=HOUR, seen=0)
    assert not is_signed_in(client)


def test_deactivating_a_member_ends_their_session_key_and_tokens_at_once(alice, bob, tenant_a):
    client = signed_in(bob)
    _, key = make_key(bob, tenant_a)
    api = bearer(token(key))
    assert is_signed_in(client) and api.get("/api/me").status_code == 200
    member_update(membership=bob.memberships.get(tenant=tenant_a), by=actor(alice, tenant_a), is_active=False)
    assert not is_signed_in(client)
    assert client.session.get(SEEN_AT) is None  # flushed, not merely refused
    assert api.get("/api/me").status_code == 401
    assert exchange(key).status_code == 401


def test_an_active_session_writes_its_clock_once_a_minute_not_per_request(
    alice, django_assert_max_num_queries
):
    client = signed_in(alice)
    client.get("/")
    with django_assert_max_num_queries(50) as queries:
        client.get("/")
    assert not any("UPDATE" in q["sql"] and "django_session" in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize("field", ["session_idle_minutes", "session_max_hours"])
def test_the_limits_are_checked_by_the_database_too(tenant_a, field):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        change_tenant(tenant_a, **{field: 0})


def test_a_session_cookie_replayed_at_another_tenants_host_is_a_strangers_there(alice, tenant_a, tenant_b):
    """Cookies are host-only, but a stolen one can be sent anywhere: the server checks where the
    session was made. Alice is a member of both tenants, so only that check refuses it."""
    from tests.factories import MembershipFactory

    MembershipFactory(tenant=tenant_b, user=alice)
    at_acme = signed_in(alice)
    cookie = at_acme.cookies[django_settings.SESSION_COOKIE_NAME].value
    replayed = Client(HTTP_HOST="globex.localhost")
    replayed.cookies[django_settings.SESSION_COOKIE_NAME] = cookie
    assert replayed.get("/").status_code == 302  # to the login page: nobody is signed in here
    assert replayed.get("/api/me").status_code == 401
    assert replayed.post("/api/workgroups", {"name": "x"}, content_type="application/json").status_code in (
        401,
        403,
    )
    at_operator_host = Client(HTTP_HOST="localhost")
    at_operator_host.cookies[django_settings.SESSION_COOKIE_NAME] = cookie
    assert at_operator_host.get("/api/me").status_code == 401
    assert is_signed_in(at_acme)  # the session itself is untouched where it was made


def test_a_session_made_at_django_admin_is_nobodys_at_a_tenants_host(alice, tenant_a):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    admin = Client(HTTP_HOST="localhost")
    response = admin.post("/admin/login/", {"username": alice.email, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and admin.get("/admin/").status_code == 200
    replayed = Client(HTTP_HOST="acme.localhost")
    replayed.cookies[django_settings.SESSION_COOKIE_NAME] = admin.cookies[
        django_settings.SESSION_COOKIE_NAME
    ].value
    assert not is_signed_in(replayed)
