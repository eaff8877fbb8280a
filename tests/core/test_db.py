"""Our PostgreSQL backend: a health check that asks no query, and statements prepared where asked;
last-use bookkeeping written once a window across processes."""

import select
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, connections
from django.utils import timezone

import core.db as core_db
from accounts.models import Tenant
from apikeys.models import ApiKey
from core.db import prepared_cursor, record_use
from tests.helpers import AnotherProcess, make_key

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid() -> int:
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def _terminate(pid: int) -> None:
    """As a restart of PostgreSQL does to every connection: the server ends it and says so."""
    with psycopg.connect(connection.connection.info.dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    poll = select.poll()
    poll.register(connection.connection.fileno(), select.POLLIN)
    assert poll.poll(5000), "the server's goodbye did not arrive"


def test_the_tests_run_on_our_backend():
    assert type(connections["default"]).__module__ == "core.db.postgresql.base"


def test_an_idle_connection_is_usable():
    _backend_pid()
    assert connection.is_usable()
    assert connection.is_usable()  # the check reads nothing from the socket


def test_a_connection_the_server_ended_is_replaced_before_the_next_request_uses_it():
    old = _backend_pid()
    _terminate(old)
    assert not connection.is_usable()
    connection.close_if_unusable_or_obsolete()  # what Django does between requests
    connection.close_if_health_check_failed()  # and at the start of the next
    assert Tenant.objects.count() == 0  # a query, on a new connection, without an error
    assert connection.connection.info.backend_pid != old


def test_the_health_check_sends_no_query():
    """pg_stat_activity shows the last statement each connection ran: after the checks, still ours."""
    pid = _backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'marker'")
    for _ in range(5):
        assert connection.is_usable()
    with psycopg.connect(connection.connection.info.dsn, autocommit=True) as admin:
        (query,) = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert query == "SELECT 'marker'"


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_prepared_cursor_prepares_its_statement_once_and_other_queries_are_not_prepared():
    for _ in range(7):
        with prepared_cursor() as cursor:
            cursor.execute("SELECT count(*) FROM accounts_tenant WHERE slug = %s", ["x"])
            assert cursor.fetchone() == (0,)
        Tenant.objects.filter(slug="y").exists()  # an ordinary ORM query, repeated
    statements = _prepared()
    assert statements == ["SELECT count(*) FROM accounts_tenant WHERE slug = $1"]


def test_a_use_is_written_once_a_window_whichever_process_sees_it(alice, tenant_a, django_assert_num_queries):
    """Last-use bookkeeping (core.db.record_use): one write per row per window across processes,
    this process's memory answering repeats and the row itself deciding between processes; a
    process that found the mark fresh asks again within a quarter window, not a whole one."""
    apikey, _ = make_key(alice, tenant_a)
    other = AnotherProcess(
        "from datetime import timedelta\nfrom django.utils import timezone\n"
        "from apikeys.models import ApiKey\nfrom core.db import record_use"
    )
    window = timedelta(seconds=2)
    there = (
        f"record_use(ApiKey, '{apikey.pk}', ip='192.0.2.2', now=timezone.now(), every=timedelta(seconds=2))"
    )
    try:
        other.ask("1")  # started (a process takes about a second to start)
        assert record_use(ApiKey, apikey.pk, ip="192.0.2.1", now=timezone.now(), every=window) is True
        written = time.monotonic()
        with django_assert_num_queries(0):  # asked a moment ago: not even a query
            assert record_use(ApiKey, apikey.pk, ip="192.0.2.1", now=timezone.now(), every=window) is False
        time.sleep(1.0)
        assert other.ask(there) == "False"  # the row decided: written a second ago
        time.sleep(max(0.0, written + 2.2 - time.monotonic()))
        assert other.ask(there) == "True"  # the window is over: not a whole window after its last ask
        core_db._next_ask.clear()  # as a third process, which never asked
        assert record_use(ApiKey, apikey.pk, ip="192.0.2.1", now=timezone.now(), every=window) is False
    finally:
        other.close()
    apikey.refresh_from_db()
    assert apikey.last_used_ip == "192.0.2.2"


def test_a_use_marked_by_a_clock_ahead_of_ours_is_written_again(alice, tenant_a):
    """A host whose clock runs an hour fast must not freeze every other host's marks for an hour."""
    apikey, _ = make_key(alice, tenant_a)
    hour = timedelta(hours=1)
    assert record_use(
        ApiKey, apikey.pk, ip="192.0.2.9", now=timezone.now() + hour, every=timedelta(minutes=1)
    )
    core_db._next_ask.clear()  # as another process, on a host with the right time
    now = timezone.now()
    assert record_use(ApiKey, apikey.pk, ip="192.0.2.1", now=now, every=timedelta(minutes=1)) is True
    apikey.refresh_from_db()
    assert (apikey.last_used_at, apikey.last_used_ip) == (now, "192.0.2.1")
