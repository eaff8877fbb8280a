"""Database helpers for the few paths where a statement's planning is most of its cost."""

import functools
import math
import time
from datetime import datetime, timedelta

from django.db import connection


def prepared_cursor():
    """A cursor whose repeated statements PostgreSQL plans once per connection (core.db.postgresql);
    a plain cursor on other databases."""
    prepared = getattr(connection, "prepared_cursor", None)
    return prepared() if prepared is not None else connection.cursor()


_asked: dict = {}  # (table, pk) → when this process last wrote or asked (record_use)


def record_use(model, pk, *, ip: str | None, now: datetime, every: timedelta) -> bool:
    """Last-use bookkeeping (`model`'s `last_used_at` and `last_used_ip`) written at most once per
    `every` per row across every process: this process's memory skips rows it asked about within
    `every`; between processes the row decides, by the UPDATE's own condition (no lock, no shared
    key). Plain SQL: on the hot paths the ORM's update cost twice the statement; these fields feed
    no copy, so no generation changes. Returns whether this call wrote."""
    key, moment = (model._meta.db_table, pk), time.monotonic()
    if moment - _asked.get(key, -math.inf) < every.total_seconds():
        return False
    if len(_asked) >= 10_000:
        _asked.clear()
    _asked[key] = moment
    values = [(model, "last_used_at", now), (model, "last_used_ip", ip), (model, "pk", pk)]
    params = [_db_value(*value) for value in (*values, (model, "last_used_at", now - every))]
    with connection.cursor() as cursor:  # planning an update by primary key costs little
        cursor.execute(_mark_used(model._meta.db_table, model._meta.pk.column), params)
        return cursor.rowcount == 1


@functools.cache
def _mark_used(table: str, pk: str) -> str:
    return (
        f"UPDATE {table} SET last_used_at = %s, last_used_ip = %s "  # noqa: S608 (names from models)
        f"WHERE {pk} = %s AND (last_used_at IS NULL OR last_used_at < %s)"
    )


def _db_value(model, name: str, value):
    """As the ORM sends it (SQLite, under `make run`, keeps UUIDs as hex and datetimes naive)."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    return field.get_db_prep_value(value, connection)
