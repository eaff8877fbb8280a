"""Database helpers for the few paths where a statement's planning is most of its cost."""

from django.db import connection


def prepared_cursor():
    """A cursor whose repeated statements PostgreSQL plans once per connection (core.db.postgresql);
    a plain cursor on other databases."""
    prepared = getattr(connection, "prepared_cursor", None)
    return prepared() if prepared is not None else connection.cursor()
