"""Usage counters per subject and day (a key's requests, a credential's downloads, a tenant's
failed sign-ins), for the charts: counted in process memory and added to the database in one
statement per process every PORTAL_USAGE_FLUSH_SECONDS, never a write per request.

A timer thread writes a process's counts a few seconds after the first one, and at exit; counts
of a process killed outright in those seconds are lost (they are for charts, not billing). With
PORTAL_USAGE_FLUSH_SECONDS = 0 every count is written at once (the tests read them at once)."""

import atexit
import logging
import os
import threading
from collections import Counter
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from core.models import UsageCount

log = logging.getLogger(__name__)
DETAIL_LENGTH = UsageCount._meta.get_field("detail").max_length  # longer would fail every flush

_lock = threading.Lock()
_counts: Counter = Counter()  # (kind, subject, day, detail) → count not yet written
_timer: threading.Timer | None = None
_pid = None


def count(kind: str, subject, n: int = 1, *, detail: str | None = None) -> None:
    """`subject` (a UUID) did `kind` (e.g. "apikey.request") `n` times today (UTC); `detail`
    (e.g. the client's address) keeps these apart from the day's other counts of the kind."""
    key = (kind, str(subject), timezone.now().date(), (detail or "")[:DETAIL_LENGTH])
    wait = settings.PORTAL_USAGE_FLUSH_SECONDS
    with _lock:
        _forget_parents()
        _counts[key] += n
        if wait > 0 and _timer is None:
            _start_timer(wait)
    if wait <= 0:
        flush()


def flush() -> int:
    """Add the counts held here to the database: how many rows were written."""
    global _timer
    with _lock:
        taken = dict(_counts)
        _counts.clear()
        if _timer is not None:
            _timer.cancel()  # a no-op from within the timer's own thread
        _timer = None
    if not taken:
        return 0
    rows = [(*key, n) for key, n in taken.items()]
    try:
        _add(rows)
    except Exception:
        with _lock:  # nothing lost: try again with the next flush
            for *key, n in rows:
                _counts[tuple(key)] += n
        raise
    return len(rows)


def series(kind: str, subjects, *, days: int = 30, today: date | None = None) -> dict[str, list[int]]:
    """Each subject's counts for the last `days` days, oldest first (today's included)."""
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    found = {str(s): [0] * days for s in subjects}
    rows = UsageCount.objects.filter(kind=kind, subject__in=list(found), day__gte=first, day__lte=today)
    for subject, day, n in rows.values_list("subject", "day", "count"):
        found[str(subject)][(day - first).days] += n  # a row per detail
    return found


def summed(kind: str, subjects, *, days: int = 30, today: date | None = None) -> list[int]:
    """The counts of all `subjects` (ids, or a query of them) added up by day, oldest first."""
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    found = [0] * days
    rows = UsageCount.objects.filter(kind=kind, subject__in=subjects, day__gte=first, day__lte=today)
    for day, n in rows.values("day").annotate(n=Sum("count")).values_list("day", "n"):
        found[(day - first).days] = n
    return found


def chart(
    element_id: str, series: dict[str, list[int]], *, days: int = 30, today: date | None = None
) -> dict:
    """What templates/_usage_chart.html and static/charts.js draw: `series` (label → counts from
    `series()`), their days, and the same numbers as rows for the table beside the chart."""
    today = today or timezone.now().date()
    labels = [(today - timedelta(days=days - 1 - n)).isoformat() for n in range(days)]
    return {
        "id": element_id,
        "days": labels,
        "series": [
            {"label": label, "values": values, "total": sum(values)} for label, values in series.items()
        ],
        "rows": [[day, *(values[n] for values in series.values())] for n, day in enumerate(labels)],
    }


def total(kind: str, subject, *, since: date) -> int:
    rows = UsageCount.objects.filter(kind=kind, subject=subject, day__gte=since)
    return sum(rows.values_list("count", flat=True))


def prune(*, keep_days: int) -> int:
    """Drop counts older than `keep_days`: how many rows went."""
    before = timezone.now().date() - timedelta(days=keep_days)
    return UsageCount.objects.filter(day__lt=before).delete()[0]


def _add(rows) -> None:
    """One INSERT … ON CONFLICT for every row: a count adds to the day's row (PostgreSQL, SQLite)."""
    table = UsageCount._meta.db_table
    subject_field, day_field = (UsageCount._meta.get_field(name) for name in ("subject", "day"))
    values = [
        (
            kind,
            subject_field.get_db_prep_value(subject, connection),
            day_field.get_db_prep_value(day, connection),
            detail,
            n,
        )
        for kind, subject, day, detail, n in sorted(rows)  # one order: concurrent flushes lock rows alike
    ]
    sql = (
        f"INSERT INTO {table} (kind, subject, day, detail, count) VALUES "  # noqa: S608 (model's names)
        + ", ".join(["(%s, %s, %s, %s, %s)"] * len(values))
        + f" ON CONFLICT (kind, subject, day, detail) DO UPDATE SET count = {table}.count + EXCLUDED.count"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [value for row in values for value in row])


def _start_timer(wait: float) -> None:
    global _timer
    _timer = threading.Timer(wait, _flush_in_thread)
    _timer.daemon = True
    _timer.start()


def _flush_in_thread() -> None:
    try:
        flush()
    except Exception:  # the database is away: the counts wait for the next count's timer
        log.exception("usage counts not written; kept for the next try")
    finally:
        connection.close()  # this thread's own connection


def _forget_parents() -> None:
    """After a fork (gunicorn's workers) the parent's counts and timer are not this process's."""
    global _pid, _timer
    if _pid != os.getpid():
        _pid, _timer = os.getpid(), None
        _counts.clear()


atexit.register(lambda: _counts and flush())
