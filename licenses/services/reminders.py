"""Tenant admins are emailed 30 and 7 days before a license ends, and before a source that ends
sooner does, once each per end date (moving the end owes the reminders again:
`licenses._move_end`, `terms.terms_set`)."""

import math
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import emails
from accounts.models import Membership, Role
from licenses.models import License, SourceTerm

_RUNNING = [License.State.ACTIVE, License.State.SUSPENDED]


def license_reminders_send(*, now: datetime | None = None) -> int:
    """Send the reminders that are due: how many licenses and sources were reminded."""
    now = now or timezone.now()
    due = License.objects.filter(state__in=_RUNNING, ends_at__gt=now).filter(_due(now))
    terms = SourceTerm.objects.filter(license__state__in=_RUNNING, ends_at__gt=now).filter(_due(now))
    return sum(_remind(license_id, now) for license_id in due.values_list("pk", flat=True)[:1000]) + sum(
        _remind_source(term_id, now) for term_id in terms.values_list("pk", flat=True)[:1000]
    )


def _due(now: datetime) -> Q:
    return Q(reminded_30_at__isnull=True, ends_at__lte=now + timedelta(days=30)) | Q(
        reminded_7_at__isnull=True, ends_at__lte=now + timedelta(days=7)
    )


def _remind(license_id, now: datetime) -> int:
    """One license, under its row lock, so two sweeps at once send one email. The mail leaves before
    the stamp commits: a worker killed in between sends it again, never zero times."""
    with transaction.atomic():
        license = (
            License.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("tenant")
            .filter(pk=license_id, state__in=_RUNNING, ends_at__gt=now)
            .first()
        )
        if license is None:
            return 0
        return _send_once(license, license, "license-ending", {}, now)


def _remind_source(term_id, now: datetime) -> int:
    """One source's end, as `_remind` does a license's."""
    with transaction.atomic():
        term = (
            SourceTerm.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("license__tenant")
            .filter(pk=term_id, license__state__in=_RUNNING, ends_at__gt=now)
            .first()
        )
        if term is None:
            return 0
        return _send_once(term, term.license, "source-ending", {"term": term}, now)


def _send_once(row: License | SourceTerm, license: License, template: str, context: dict, now) -> int:
    """Email the admins of `row`'s end (a license's or a source's) unless this threshold was sent."""
    days = 7 if row.ends_at - now <= timedelta(days=7) else 30
    if getattr(row, f"reminded_{days}_at") is not None:
        return 0
    for address in admin_emails(license):
        emails.send(
            template,
            to=address,
            tenant=license.tenant,
            context={
                **context,
                "license": license,
                "days_left": math.ceil((row.ends_at - now) / timedelta(days=1)),
                "url": emails.tenant_url(license.tenant, f"/licenses/{license.pk}/"),
            },
        )
    row.reminded_30_at = row.reminded_30_at or now  # within 7 days, one email says it
    if days == 7:
        row.reminded_7_at = now
    row.save(update_fields=["reminded_30_at", "reminded_7_at"])
    return 1


def admin_emails(license: License) -> list[str]:
    return list(
        Membership.objects.filter(
            tenant_id=license.tenant_id, role=Role.ADMIN, is_active=True, user__is_active=True
        )
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
