"""Django's PostgreSQL backend plus the two things its OPTIONS cannot ask for (settings.py sets
`prepare_threshold` out of reach there, so psycopg prepares nothing by itself)."""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


class _PreparingCursor(psycopg.Cursor):
    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        """CONN_HEALTH_CHECKS without Django's `SELECT 1` round trip: an idle connection has
        nothing to read unless the server said something unasked (with no LISTEN, only that it is
        going away: FATAL 57P01 or EOF), so a zero-timeout poll of its socket tells. A peer that
        vanished silently escapes both checks alike."""
        connection = self.connection
        if connection is None or connection.closed or connection.info.status != pq.ConnStatus.OK:
            return False
        if connection.info.transaction_status == pq.TransactionStatus.UNKNOWN:
            return False
        poll = select.poll()
        poll.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        return not poll.poll(0)

    def prepared_cursor(self):
        """A cursor whose statements bind on the server and are prepared on first run (psycopg
        keeps 100 per connection). OPTIONS can only prepare every statement or none; the tools'
        five-table join costs three times its run to plan, other queries gain nothing. Behind
        PgBouncer in transaction mode this needs 1.21+ (`max_prepared_statements`)."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(_PreparingCursor(self.connection))
