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


_next_ask: dict = {}  # (table, pk) → when this process asks again (record_use)


def record_use(model, pk, *, ip: str | None, now: datetime, every: timedelta) -> bool:
    """Last-use bookkeeping (`model`'s `last_used_at` and `last_used_ip`): one write per row per
    `every` between processes whose clocks agree, decided by the row in the UPDATE's own condition
    (no lock, no shared key; a mark from a clock ahead of this one is replaced). This process asks
    again `every` after its write, or a quarter of it after another's, so a mark is at most 1¼
    `every` old. Plain SQL: the ORM's update cost twice the statement on the hot paths; these
    fields feed no copy, so no generation changes. Returns whether this call wrote."""
    key, moment = (model._meta.db_table, pk), time.monotonic()
    if moment < _next_ask.get(key, -math.inf):
        return False
    if len(_next_ask) >= 10_000:
        _next_ask.clear()
    params = [
        *(_db_value(model, name, value) for name, value in (("last_used_at", now), ("last_used_ip", ip))),
        _db_value(model, "pk", pk),
        *(_db_value(model, "last_used_at", value) for value in (now - every, now)),
    ]
    with connection.cursor() as cursor:  # planning an update by primary key costs little
        cursor.execute(_mark_used(model._meta.db_table, model._meta.pk.column), params)
        wrote = cursor.rowcount == 1
    _next_ask[key] = moment + every.total_seconds() / (1 if wrote else 4)
    return wrote


@functools.cache
def _mark_used(table: str, pk: str) -> str:
    return (
        f"UPDATE {table} SET last_used_at = %s, last_used_ip = %s "  # noqa: S608 (names from models)
        f"WHERE {pk} = %s AND (last_used_at IS NULL OR last_used_at < %s OR last_used_at > %s)"
    )


def _db_value(model, name: str, value):
    """As the ORM sends it (SQLite, under `make run`, keeps UUIDs as hex and datetimes naive)."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    return field.get_db_prep_value(value, connection)
