"""What each report holds: its columns, how many rows to expect, and its rows, read from the
database in order as a stream (`.iterator()`, a server-side cursor on PostgreSQL), so a report of
a million rows takes the memory of one chunk. Times are UTC; a range is whole days."""

import heapq
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC as utc
from datetime import date, datetime, time, timedelta

from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from access.services import LOGIN
from accounts.models import Event, Membership, Tenant
from apikeys.models import USAGE_REQUESTS, USAGE_TOKENS, ApiKey
from core.models import UsageCount
from licenses.models import USAGE_FETCHES, USAGE_VALIDATIONS, Credential

CHUNK = 2000
SIGN_IN_EVENTS = {
    LOGIN: "sign-in",
    "login.failed": "failed sign-in",
    "apikey.exchange_failed": "failed key exchange",
    "access.refused": "refused",
}


@dataclass(frozen=True)
class Range:
    tenant: Tenant
    starts_on: date
    ends_on: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.starts_on, time(), tzinfo=utc)

    @property
    def until(self) -> datetime:  # exclusive
        return datetime.combine(self.ends_on + timedelta(days=1), time(), tzinfo=utc)

    def events(self):
        return Event.objects.filter(tenant=self.tenant, created_at__gte=self.since, created_at__lt=self.until)

    def counts(self, kinds: str | list[str], subjects):
        """Usage counts of these kinds of these subjects (ids, or a query of them) in the range."""
        kinds = [kinds] if isinstance(kinds, str) else kinds
        return UsageCount.objects.filter(
            kind__in=kinds, subject__in=subjects, day__gte=self.starts_on, day__lte=self.ends_on
        )


def _keys(tenant: Tenant):
    return ApiKey.objects.filter(tenant=tenant).values("pk")


# General usage: one row per member.

USAGE = ["email", "name", "role", "active", "member_since", "registered", "last_sign_in", "sign_ins",
         "key_exchanges", "api_calls"]  # fmt: skip


def _usage_query(r: Range):
    logins = Event.objects.filter(tenant=r.tenant, action=LOGIN, actor=OuterRef("user"))
    in_range = logins.filter(created_at__gte=r.since, created_at__lt=r.until)
    keys = ApiKey.objects.filter(tenant=r.tenant, user=OuterRef(OuterRef("user"))).values("pk")

    def used(kind):
        sums = r.counts(kind, keys).order_by().values("kind").annotate(n=Sum("count")).values("n")
        return Coalesce(Subquery(sums, output_field=IntegerField()), Value(0))

    return (
        Membership.objects.filter(tenant=r.tenant)
        .annotate(
            last=Subquery(logins.order_by().values("actor").annotate(m=Max("created_at")).values("m")),
            signins=Coalesce(
                Subquery(in_range.order_by().values("actor").annotate(n=Count("pk")).values("n")), Value(0)
            ),
            exchanges=used(USAGE_TOKENS),
            calls=used(USAGE_REQUESTS),
        )
        .order_by("user__email")
        .values_list(
            "user__email",
            "user__full_name",
            "role",
            "is_active",
            "created_at",
            "user__date_joined",
            "last",
            "signins",
            "exchanges",
            "calls",
        )
    )


def usage_rows(r: Range) -> Iterator[list]:
    yield from (list(row) for row in _usage_query(r).iterator(chunk_size=CHUNK))


# Sign-ins, key exchanges and refusals: the events, and each day's successful exchanges per key
# and address (counted, not logged one by one), merged by day.

LOGINS = ["time", "category", "address", "application", "email", "event", "detail", "count"]


def _login_events(r: Range):
    return r.events().filter(action__in=list(SIGN_IN_EVENTS)).order_by("created_at")


def _event_row(created_at, action, ip, actor_email, data) -> list:
    data = data or {}
    application = data.get("application") or ("api" if action == "apikey.exchange_failed" else "")
    if action == "access.refused":
        application, detail = data.get("rule", ""), data.get("request", "")
    else:
        detail = data.get("method") or data.get("key_prefix", "")
    email = actor_email or data.get("email", "")
    return [created_at.isoformat(), SIGN_IN_EVENTS[action], ip or "", application, email, action, detail, 1]


def _exchange_rows(r: Range) -> Iterator[list]:
    keys = {
        str(k["pk"]): k
        for k in ApiKey.objects.filter(tenant=r.tenant).values("pk", "name", "prefix", "user__email")
    }
    counted = r.counts(USAGE_TOKENS, list(keys)).order_by("day", "subject", "detail")
    for day, subject, ip, n in counted.values_list("day", "subject", "detail", "count").iterator(
        chunk_size=CHUNK
    ):
        key = keys.get(str(subject), {})
        label = f"{key.get('name', '')} ({key.get('prefix', '')}…)"
        yield [
            day.isoformat(),
            "key exchange",
            ip,
            "api",
            key.get("user__email", ""),
            "apikey.exchange",
            label,
            n,
        ]


def login_rows(r: Range) -> Iterator[list]:
    fields = ("created_at", "action", "ip", "actor_email", "data")
    events = (_event_row(*row) for row in _login_events(r).values_list(*fields).iterator(chunk_size=CHUNK))
    yield from heapq.merge(events, _exchange_rows(r), key=lambda row: row[0][:10])


# Workgroup activity: every change to a workgroup and its members.

WORKGROUPS = ["time", "workgroup", "actor", "action", "detail"]


def _workgroup_events(r: Range):
    return (
        r.events()
        .filter(Q(target_type="workgroup") | Q(action__startswith="workgroup."))
        .order_by("created_at")
    )


def workgroup_rows(r: Range) -> Iterator[list]:
    fields = ("created_at", "target_label", "actor_email", "action", "data")
    for created_at, label, actor, action, data in (
        _workgroup_events(r).values_list(*fields).iterator(chunk_size=CHUNK)
    ):
        yield [
            created_at.isoformat(),
            label,
            actor,
            action,
            json.dumps(data, sort_keys=True, ensure_ascii=False),
        ]


# API key usage: exchanges and Bearer calls per key and day.

APIKEYS = ["day", "key", "prefix", "owner", "exchanges", "calls"]


def _key_counts(r: Range):
    counted = r.counts([USAGE_TOKENS, USAGE_REQUESTS], _keys(r.tenant))
    return counted.values("day", "subject", "kind").annotate(n=Sum("count")).order_by("day", "subject")


def apikey_rows(r: Range) -> Iterator[list]:
    keys = {
        str(k["pk"]): k
        for k in ApiKey.objects.filter(tenant=r.tenant).values("pk", "name", "prefix", "user__email")
    }
    current, totals = None, {}
    for row in _key_counts(r).values_list("day", "subject", "kind", "n").iterator(chunk_size=CHUNK):
        day, subject, kind, n = row
        if (day, subject) != current and current is not None:
            yield _key_row(current, totals, keys)
            totals = {}
        current, totals[kind] = (day, subject), n
    if current is not None:
        yield _key_row(current, totals, keys)


def _key_row(current, totals, keys) -> list:
    day, subject = current
    key = keys.get(str(subject), {})
    return [day.isoformat(), key.get("name", ""), key.get("prefix", ""), key.get("user__email", ""),
            totals.get(USAGE_TOKENS, 0), totals.get(USAGE_REQUESTS, 0)]  # fmt: skip


# License usage: premium.lic downloads per credential and day.

LICENSES = ["day", "license", "method", "credential", "fetches", "validations", "addresses"]
_LICENSE_KINDS = [USAGE_FETCHES, USAGE_VALIDATIONS]


def _credentials(tenant: Tenant):
    return Credential.objects.filter(tenant=tenant).values("pk")


def _credential_days(r: Range):
    """A row per credential and day: its downloads, its validations, the addresses it was fetched from."""
    fetched = Q(kind=USAGE_FETCHES)
    return (
        r.counts(_LICENSE_KINDS, _credentials(r.tenant))
        .values("day", "subject")
        .annotate(
            fetches=Coalesce(Sum("count", filter=fetched), 0),
            validations=Coalesce(Sum("count", filter=Q(kind=USAGE_VALIDATIONS)), 0),
            addresses=Count("detail", filter=fetched & ~Q(detail=""), distinct=True),
        )
        .order_by("day", "subject")
    )


def license_rows(r: Range) -> Iterator[list]:
    found = Credential.objects.filter(tenant=r.tenant).values(
        "pk", "license__name", "method", "identifier", "key_prefix"
    )
    credentials = {str(c["pk"]): c for c in found}
    counted = _credential_days(r).values_list("day", "subject", "fetches", "validations", "addresses")
    for day, subject, fetches, validations, addresses in counted.iterator(chunk_size=CHUNK):
        c = credentials.get(str(subject), {})
        shown = f"{c.get('key_prefix')}…" if c.get("key_prefix") else c.get("identifier", "")
        yield [day.isoformat(), c.get("license__name", ""), c.get("method", ""), shown, fetches, validations,
               addresses]  # fmt: skip


@dataclass(frozen=True)
class Kind:
    columns: list[str]
    rows: object  # Range → Iterator[list]
    expected: object  # Range → int: rows to expect, for the progress shown


KINDS = {
    "usage": Kind(USAGE, usage_rows, lambda r: Membership.objects.filter(tenant=r.tenant).count()),
    "logins": Kind(
        LOGINS,
        login_rows,
        lambda r: _login_events(r).count() + r.counts(USAGE_TOKENS, _keys(r.tenant)).count(),
    ),
    "workgroups": Kind(WORKGROUPS, workgroup_rows, lambda r: _workgroup_events(r).count()),
    "apikeys": Kind(APIKEYS, apikey_rows, lambda r: r.counts(USAGE_REQUESTS, _keys(r.tenant)).count()),
    "licenses": Kind(LICENSES, license_rows, lambda r: _credential_days(r).count()),
}
