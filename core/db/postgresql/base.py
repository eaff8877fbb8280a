"""Django's PostgreSQL backend, with two costs of the hot paths taken out.

Health check without a round trip. Django checks a persistent connection at the start of each
request (`CONN_HEALTH_CHECKS`) with a `SELECT 1`: a whole round trip before the request's first
query. A connection that idles between requests has nothing to read: the server sends only when
asked. If its socket is readable, the server has said something unasked, which on our connections
(no LISTEN) means it is going away (a restart sends FATAL 57P01, then closes) or has gone (EOF). So
the check polls the socket with a zero timeout; a connection with anything to read, or that
psycopg already knows is broken, is closed and Django opens a fresh one. What it cannot see, a peer
that vanished without a word, `SELECT 1` would not see either without waiting for TCP to give up.

Prepared statements where asked for. Django binds parameters on the client, so PostgreSQL parses
and plans every statement anew; for a join of five tables, planning costs three times what running
it does. `prepared_cursor()` binds on the server and has psycopg prepare each statement on the
connection the first time it runs it, after which it is only executed; psycopg keeps the last 100
per connection. Django turns psycopg's preparing off altogether (`prepare_threshold=None`, for the
sake of connection poolers); here the threshold is set out of reach instead, so statements are
prepared only where asked for, and every other query behaves as in Django. Behind PgBouncer in
transaction mode, prepared statements need PgBouncer 1.21 or later (`max_prepared_statements`).
"""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq

PREPARE_ONLY_WHEN_ASKED = 2**31 - 1  # executions before psycopg prepares a statement by itself


class _PreparingCursor(psycopg.Cursor):
    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict:
        params = super().get_connection_params()
        if params.get("prepare_threshold") is None:
            params["prepare_threshold"] = PREPARE_ONLY_WHEN_ASKED
        return params

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.info.status != pq.ConnStatus.OK:
            return False
        if connection.info.transaction_status == pq.TransactionStatus.UNKNOWN:
            return False
        poll = select.poll()
        poll.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        return not poll.poll(0)

    def prepared_cursor(self):
        """Like `cursor()`, but statements bind on the server and are prepared."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(_PreparingCursor(self.connection))
