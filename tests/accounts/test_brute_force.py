"""Brute force and enumeration, on every door a password or key goes through: the login page,
Django admin, POST /api/tokens (password and key), password reset, and the tools' licensing
endpoint. Past the configured failures per account and per client address the right credential
is refused too, with the very answer a wrong one gets; a forged X-Forwarded-For changes nothing
unless it comes from a trusted proxy; an email's case variants are one account; an existing and
a missing account get the same status and body, and take the same time."""

import base64
import re

import pytest
from django.test import Client

from accounts.requests import client_ip, limit_unit
from tests.factories import PASSWORD, UserFactory
from tests.helpers import make_key
from tests.timing import MISSING, WRONG, medians

ATTACKER = "203.0.113.9"


def login(email: str, password: str, ip: str = ATTACKER, **headers):
    response = Client(HTTP_HOST="acme.localhost", REMOTE_ADDR=ip, **headers).post(
        "/accounts/login/", {"login": email, "password": password}
    )
    assert response.status_code in (200, 302), response.status_code  # the form, or signed in
    return response


def admin_login(email: str, password: str, ip: str = ATTACKER):
    response = Client(HTTP_HOST="localhost", REMOTE_ADDR=ip).post(
        "/admin/login/", {"username": email, "password": password, "next": "/admin/"}
    )
    assert response.status_code in (200, 302), response.status_code
    return response


def token(email: str, password: str, ip: str = ATTACKER, **headers):
    basic = base64.b64encode(f"{email}:{password}".encode()).decode()
    return Client(HTTP_HOST="acme.localhost", REMOTE_ADDR=ip, **headers).post(
        "/api/tokens", HTTP_AUTHORIZATION=f"Basic {basic}"
    )


def key_token(key: str, ip: str = ATTACKER):
    return Client(HTTP_HOST="acme.localhost", REMOTE_ADDR=ip).post("/api/tokens", HTTP_X_API_KEY=key)


def reset(email: str, ip: str = ATTACKER):
    return Client(HTTP_HOST="acme.localhost", REMOTE_ADDR=ip).post(
        "/accounts/password/reset/", {"email": email}
    )


def answer(response, *emails: str) -> tuple[int, str]:
    """Status and body, with what differs by design taken out: CSRF tokens (new every response)
    and the email the visitor typed, echoed back into the form."""
    body = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+', r"\1", response.content.decode())
    for email in emails:
        body = body.replace(email, "EMAIL")
    return response.status_code, body


def seconds_out(problem: dict) -> dict:
    return {**problem, "detail": re.sub(r"\d+ seconds", "N seconds", problem["detail"])}


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


@pytest.fixture
def root(tenant_a):
    return UserFactory(email="root@portal.test", is_staff=True, is_superuser=True)


# The login page.


def test_the_login_page_refuses_the_right_password_after_five_failures_with_the_same_answer(alice):
    for _ in range(5):
        assert not signed_in(login(alice.email, WRONG))
    right, wrong = login(alice.email, PASSWORD), login(alice.email, WRONG)
    assert not signed_in(right)
    assert answer(right) == answer(wrong)
    assert "Too many failed sign-ins. Try again in 5 minutes at most." in right.content.decode()  # 5/5m/key
    assert signed_in(login(alice.email, PASSWORD, ip="198.51.100.1")) is False  # per account, any address


def test_before_the_limit_the_right_password_signs_in(alice):
    for _ in range(4):
        login(alice.email, WRONG)
    assert signed_in(login(alice.email, PASSWORD))


def test_an_emails_case_variants_are_one_account(alice):
    for variant in [
        "ALICE@ACME.TEST",
        "Alice@Acme.Test",
        "alice@ACME.test",
        " alice@acme.test ",
        "aLiCe@acme.test",
    ]:
        login(variant, WRONG, ip=f"198.51.100.{len(variant)}")  # and different addresses: per account
    assert not signed_in(login("alice@acme.test", PASSWORD, ip="198.51.100.99"))


def test_ten_failures_from_one_address_refuse_every_account_from_it(alice):
    for n in range(10):
        login(f"guess{n}@acme.test", WRONG)  # ten accounts, one failure each
    assert not signed_in(login(alice.email, PASSWORD))  # the right password, from that address
    assert signed_in(login(alice.email, PASSWORD, ip="198.51.100.1"))  # from another


def test_a_forged_x_forwarded_for_does_not_reset_the_address_count(alice):
    for n in range(10):
        login(f"guess{n}@acme.test", WRONG, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert not signed_in(login(alice.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200"))


def test_behind_a_trusted_proxy_each_client_is_counted_by_the_address_the_proxy_saw(alice, settings):
    settings.PORTAL_TRUSTED_PROXIES = ("10.0.0.0/8",)
    for n in range(10):  # the attacker writes its own X-Forwarded-For; the proxy appends the truth
        login(f"guess{n}@acme.test", WRONG, ip="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}")
    locked = login(alice.email, PASSWORD, ip="10.0.0.3", HTTP_X_FORWARDED_FOR=f"1.1.1.1, {ATTACKER}")
    assert not signed_in(locked)
    assert signed_in(login(alice.email, PASSWORD, ip="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7"))


def test_an_existing_and_a_missing_account_get_the_same_answer_on_the_login_page(alice):
    assert answer(login(alice.email, WRONG, ip="198.51.100.1"), alice.email) == answer(
        login(MISSING, WRONG, ip="198.51.100.2"), MISSING
    )


# Django admin: the same lockout, shared with the login page.


def test_django_admin_refuses_the_right_password_after_five_failures_with_the_same_answer(root):
    for _ in range(5):
        assert not signed_in(admin_login(root.email, WRONG))
    right, wrong = admin_login(root.email, PASSWORD), admin_login(root.email, WRONG)
    assert not signed_in(right)
    assert answer(right) == answer(wrong)


def test_django_admin_and_the_login_page_count_together(root):
    for variant in ["ROOT@portal.test", "Root@Portal.Test", "root@PORTAL.test"]:
        login(variant, WRONG, ip="198.51.100.1")
    admin_login(root.email, WRONG, ip="198.51.100.2")
    admin_login(root.email.upper(), WRONG, ip="198.51.100.3")
    assert not signed_in(admin_login(root.email, PASSWORD, ip="198.51.100.4"))


def test_django_admin_signs_in_with_the_right_password_and_answers_alike_for_a_missing_account(root):
    assert answer(admin_login(root.email, WRONG, ip="198.51.100.1"), root.email) == answer(
        admin_login(MISSING, WRONG, ip="198.51.100.2"), MISSING
    )
    assert signed_in(admin_login(root.email, PASSWORD, ip="198.51.100.3"))


# POST /api/tokens.


def test_the_token_endpoint_refuses_the_right_password_after_five_failures_with_the_same_answer(alice):
    for _ in range(5):
        assert token(alice.email, WRONG).status_code == 401
    right, wrong = token(alice.email, PASSWORD), token(alice.email, WRONG)
    assert right.status_code == 429
    assert answer(right) == answer(wrong)


def test_the_token_endpoint_and_the_login_page_count_one_account_in_any_case(alice):
    for n, variant in enumerate(["ALICE@acme.test", "Alice@Acme.Test", "alice@acme.TEST"]):
        token(variant, WRONG, ip=f"198.51.100.{n}")
    login("ALICE@ACME.TEST", WRONG, ip="198.51.100.5")
    login("alice@acme.test", WRONG, ip="198.51.100.6")
    assert token(alice.email, PASSWORD, ip="198.51.100.7").status_code == 429


def test_the_token_endpoint_answers_alike_for_an_existing_and_a_missing_account(alice):
    existing, missing = token(alice.email, WRONG, ip="198.51.100.1"), token(MISSING, WRONG, ip="198.51.100.2")
    assert existing.status_code == missing.status_code == 401
    assert existing.content == missing.content


def test_failed_key_exchanges_from_one_address_refuse_a_right_key_too(alice, tenant_a, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "tokens-failures-ip": "3/h"}
    good = make_key(alice, tenant_a)[1]
    for n in range(3):
        forged_xff = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{n}"}  # changes nothing: no trusted proxy
        assert Client(HTTP_HOST="acme.localhost", REMOTE_ADDR=ATTACKER, **forged_xff).post(
            "/api/tokens", HTTP_X_API_KEY=good[:-4] + "AAAA"
        ).status_code in (401,)
    right, wrong = key_token(good), key_token(good[:-4] + "BBBB")
    assert right.status_code == wrong.status_code == 429
    assert seconds_out(right.json()) == seconds_out(wrong.json())  # the wait ticks on between them
    assert key_token(good, ip="198.51.100.1").status_code == 200  # another address


def test_ipv6_addresses_of_one_64_are_one_client(alice, tenant_a, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "tokens-failures-ip": "3/h"}
    good = make_key(alice, tenant_a)[1]
    for n in range(3):
        key_token(good[:-4] + "AAAA", ip=f"2001:db8:1:2::{n + 1:x}")
    assert key_token(good, ip="2001:db8:1:2:ffff::1").status_code == 429
    assert key_token(good, ip="2001:db8:1:3::1").status_code == 200


# Password reset.


def test_password_reset_answers_alike_for_an_existing_and_a_missing_account(alice, mailoutbox):
    existing, missing = reset(alice.email, ip="198.51.100.1"), reset(MISSING, ip="198.51.100.2")
    assert existing.status_code == missing.status_code == 302
    assert existing["Location"] == missing["Location"]
    assert len(mailoutbox) == 2  # a reset link to Alice, a "no account here" note to the other


def test_password_reset_is_limited_per_account_in_any_case_and_per_address(alice):
    for variant in [
        "alice@acme.test",
        "ALICE@acme.test",
        "Alice@Acme.Test",
        "alice@ACME.TEST",
        "aLICE@acme.test",
    ]:
        assert reset(variant, ip=f"198.51.100.{len(variant)}").status_code == 302
    limited, limited_missing = reset(alice.email, ip="198.51.100.50"), reset(MISSING, ip=ATTACKER)
    assert limited.status_code == 429
    for n in range(4):
        reset(f"other{n}@acme.test", ip=ATTACKER)
    for n in range(15):
        reset(f"more{n}@acme.test", ip=ATTACKER)
    assert limited_missing.status_code == 302
    assert reset("yet-another@acme.test", ip=ATTACKER).status_code == 429  # 20 a minute per address


# The client address itself.


@pytest.mark.parametrize(
    "trusted, remote, forwarded, expected",
    [
        ((), ATTACKER, "192.0.2.1", ATTACKER),  # no proxy of ours: the header is anyone's
        (("10.0.0.1",), ATTACKER, "192.0.2.1", ATTACKER),  # not from our proxy
        (("10.0.0.1",), "10.0.0.1", "192.0.2.1", "192.0.2.1"),
        (("10.0.0.1",), "10.0.0.1", "6.6.6.6, 192.0.2.1", "192.0.2.1"),  # the client's own entry
        (("10.0.0.0/8",), "10.0.0.1", "192.0.2.1, 10.0.0.7", "192.0.2.1"),  # two proxies of ours
        (("10.0.0.1",), "10.0.0.1", "", "10.0.0.1"),
        (("10.0.0.1",), "10.0.0.1", "not-an-address", "10.0.0.1"),
        (("::1",), "::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_the_client_address_believes_only_our_proxies(rf, settings, trusted, remote, forwarded, expected):
    settings.PORTAL_TRUSTED_PROXIES = trusted
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_rate_limit_counts_ipv6_by_its_64():
    assert limit_unit("2001:db8:1:2::1") == limit_unit("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert limit_unit("192.0.2.1") == "192.0.2.1"
    assert limit_unit(None) == "unknown"


# Time (tests/timing.py): an existing and a missing account cost the same.


@pytest.mark.soak  # timed: `make soak` (a shared machine's noise makes them slow to settle)
@pytest.mark.parametrize(
    "door",
    [
        lambda email: login(email, WRONG),
        lambda email: token(email, WRONG),
        lambda email: admin_login(email, WRONG),
    ],
    ids=["login page", "token endpoint", "django admin"],
)
def test_a_missing_account_takes_as_long_as_an_existing_one(alice, slow_hashing, door):
    timed = medians(door, alice.email, MISSING)
    print(timed)
    assert min(timed.existing, timed.missing) > timed.hash * 0.8  # both paths hash
    assert abs(timed.existing - timed.missing) < 0.020


@pytest.mark.soak
def test_a_password_reset_takes_as_long_for_a_missing_account(alice, slow_hashing, mailoutbox):
    timed = medians(reset, alice.email, MISSING)
    print(timed)
    assert abs(timed.existing - timed.missing) < 0.020
