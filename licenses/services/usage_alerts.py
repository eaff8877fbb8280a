"""Alerts from a credential's usage, emailed to its tenant's admins once each: fetched from more
addresses in a day than PORTAL_LICENSE_ADDRESSES_ALERT (a leaked credential), or silent for 7
days after fetching daily (a tool that stopped). Read from the usage counts (core.usage), which
requests add to without a database write each; run hourly by the beat."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from accounts import emails
from accounts.services import Actor, event_record
from core.models import UsageCount
from licenses.models import USAGE_FETCHES, Credential, License, UsageAlert

from .reminders import admin_emails

SILENT_DAYS = 7  # fetched on each of 7 days, then on none of the next 7
_LOOK_BACK = 3 * SILENT_DAYS  # silences that began longer ago than this are not reported late


def usage_alerts_send(*, now: datetime | None = None) -> int:
    """Send the alerts that are due: how many were sent."""
    today = (now or timezone.now()).date()
    sent = 0
    for credential_id, addresses in _spread(today):
        sent += _alert(credential_id, UsageAlert.Kind.ADDRESSES, today, {"addresses": addresses})
    for credential_id, last in _silent(today):
        sent += _alert(credential_id, UsageAlert.Kind.SILENT, last + timedelta(days=1), {"last_fetch": last})
    return sent


def _spread(today: date):
    """(credential id, addresses) of credentials fetched today from more addresses than allowed."""
    rows = UsageCount.objects.filter(kind=USAGE_FETCHES, day=today).exclude(detail="")
    counted = rows.values("subject").annotate(addresses=Count("detail", distinct=True))
    return counted.filter(addresses__gt=settings.PORTAL_LICENSE_ADDRESSES_ALERT).values_list(
        "subject", "addresses"
    )


def _silent(today: date):
    """(credential id, last day fetched) of credentials that fetched on each of the 7 days up to
    their last fetch, which was 7 or more days ago."""
    days = defaultdict(set)
    rows = UsageCount.objects.filter(kind=USAGE_FETCHES, day__gte=today - timedelta(days=_LOOK_BACK))
    for subject, day in rows.values_list("subject", "day").distinct():
        days[subject].add(day)
    for subject, seen in days.items():
        last = max(seen)
        if (today - last).days >= SILENT_DAYS and all(
            last - timedelta(days=n) in seen for n in range(SILENT_DAYS)
        ):
            yield subject, last


def _alert(credential_id, kind: str, day: date, context: dict) -> int:
    """Email the admins of a running license's credential about `kind` on `day`, once: the row
    written first (unique) decides, so two sweeps at once send one email."""
    credential = (
        Credential.objects.select_related("license__tenant")
        .filter(pk=credential_id, license__state=License.State.ACTIVE)
        .first()
    )
    if credential is None:
        return 0
    license = credential.license
    try:
        with transaction.atomic():
            UsageAlert.objects.create(credential=credential, kind=kind, day=day)
            event_record(tenant=license.tenant, by=Actor.system_actor(), action=f"credential.alert_{kind}",
                         target=credential, day=day.isoformat(), **_plain(context))  # fmt: skip
    except IntegrityError:
        return 0  # sent already
    for address in admin_emails(license):
        emails.send(
            f"credential-{kind}",
            to=address,
            tenant=license.tenant,
            context={
                **context,
                "credential": credential,
                "license": license,
                "day": day,
                "url": emails.tenant_url(license.tenant, f"/licenses/{license.pk}/"),
            },
        )
    return 1


def _plain(context: dict) -> dict:
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in context.items()}
