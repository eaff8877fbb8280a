"""Usage counters (core.usage): counted by real API calls, held in process memory, added to the
database in one statement, and never overwriting another process's counts."""

import base64
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import USAGE_FAILED_SIGNINS
from apikeys.models import USAGE_REQUESTS, USAGE_TOKENS
from core import usage
from core.models import UsageCount
from licenses.models import USAGE_FETCHES
from tests.helpers import actor, add, bearer, fetch, in_another_process, make_key, sell, token


def today(kind, subject) -> int:
    return usage.series(kind, [subject], days=1)[str(subject)][0]


def test_api_calls_count_tokens_requests_and_license_downloads(alice, tenant_a, bob):
    apikey, text = make_key(alice, tenant_a)
    other, other_text = make_key(bob, tenant_a)
    jwt = token(text)
    token(text)
    for _ in range(3):
        assert bearer(jwt).get("/api/me").status_code == 200
    assert bearer(token(other_text)).get("/api/me").status_code == 200
    assert (
        Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_X_API_KEY=text + "x").status_code == 401
    )

    assert (today(USAGE_TOKENS, apikey.pk), today(USAGE_REQUESTS, apikey.pk)) == (2, 3)
    assert (today(USAGE_TOKENS, other.pk), today(USAGE_REQUESTS, other.pk)) == (1, 1)

    credential = add(
        sell(tenant_a, actor(alice, tenant_a)), actor(alice, tenant_a), "dragen_serial", serial_number="SN-U"
    )
    assert fetch({"DragenSerialNo": "SN-U"}).status_code == 200
    assert fetch({"DragenSerialNo": "SN-WRONG"}).status_code != 200
    assert today(USAGE_FETCHES, credential.credential.pk) == 1


def test_failed_sign_ins_count_for_the_tenant_whose_host_it_was(alice, tenant_a, tenant_b):
    page = Client(HTTP_HOST="acme.localhost")
    page.post("/accounts/login/", {"login": alice.email, "password": "wrong"})
    basic = base64.b64encode(f"{alice.email}:wrong".encode()).decode()
    assert page.post("/api/tokens", HTTP_AUTHORIZATION=f"Basic {basic}").status_code == 401
    page.post("/accounts/login/", {"login": "nobody@acme.test", "password": "wrong"})
    operator = Client()  # the operator's host, naming the tenant
    assert (
        operator.post("/api/tokens?tenant=acme.localhost", HTTP_AUTHORIZATION=f"Basic {basic}").status_code
        == 401
    )
    assert today(USAGE_FAILED_SIGNINS, tenant_a.pk) == 4
    assert today(USAGE_FAILED_SIGNINS, tenant_b.pk) == 0


@pytest.mark.django_db(transaction=True)
def test_counts_wait_in_memory_and_one_statement_adds_them(settings, tenant_a, django_assert_num_queries):
    settings.PORTAL_USAGE_FLUSH_SECONDS = 0.3
    with django_assert_num_queries(0):
        for _ in range(500):
            usage.count("test.kind", tenant_a.pk)
        usage.count("test.other", tenant_a.pk, 7)
    deadline = time.monotonic() + 5
    while today("test.kind", tenant_a.pk) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # the timer thread writes them, with no further count to push it
    assert (today("test.kind", tenant_a.pk), today("test.other", tenant_a.pk)) == (500, 7)
    assert usage.flush() == 0  # nothing left behind


@pytest.mark.django_db(transaction=True)
def test_another_process_adds_to_the_same_day_instead_of_replacing_it(tenant_a):
    usage.count("test.kind", tenant_a.pk, 2)
    in_another_process(
        f"from core import usage\nusage.count('test.kind', '{tenant_a.pk}', 40)\nusage.flush()"
    )
    usage.count("test.kind", tenant_a.pk, 1)
    assert today("test.kind", tenant_a.pk) == 43
    assert UsageCount.objects.filter(kind="test.kind").count() == 1


def test_the_series_has_a_zero_for_each_quiet_day_and_old_counts_are_pruned(tenant_a):
    day = timezone.now().date()
    UsageCount.objects.bulk_create(
        UsageCount(kind="test.kind", subject=tenant_a.pk, day=day - timedelta(days=ago), count=ago + 1)
        for ago in (0, 2, 29, 30, 500)
    )
    found = usage.series("test.kind", [tenant_a.pk, "00000000-0000-0000-0000-000000000000"])
    assert found[str(tenant_a.pk)] == [30] + [0] * 26 + [3, 0, 1]
    assert found["00000000-0000-0000-0000-000000000000"] == [0] * 30
    assert usage.prune(keep_days=400) == 1
    assert usage.total("test.kind", tenant_a.pk, since=day - timedelta(days=30)) == 1 + 3 + 30 + 31
