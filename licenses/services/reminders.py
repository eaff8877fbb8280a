"""Tenant admins are emailed 30 and 7 days before a license ends, once each per end date (moving
the end owes the reminders again: `licenses._move_end`)."""

import math
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import emails
from accounts.models import Membership, Role
from licenses.models import License

_RUNNING = [License.State.ACTIVE, License.State.SUSPENDED]


def license_reminders_send(*, now: datetime | None = None) -> int:
    """Send the reminders that are due: how many licenses were reminded."""
    now = now or timezone.now()
    due = License.objects.filter(state__in=_RUNNING, ends_at__gt=now).filter(
        Q(reminded_30_at__isnull=True, ends_at__lte=now + timedelta(days=30))
        | Q(reminded_7_at__isnull=True, ends_at__lte=now + timedelta(days=7))
    )
    return sum(_remind(license_id, now) for license_id in due.values_list("pk", flat=True)[:1000])


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
        days = 7 if license.ends_at - now <= timedelta(days=7) else 30
        if getattr(license, f"reminded_{days}_at") is not None:
            return 0
        for address in _admin_emails(license):
            emails.send(
                "license-ending",
                to=address,
                tenant=license.tenant,
                context={
                    "license": license,
                    "days_left": math.ceil((license.ends_at - now) / timedelta(days=1)),
                    "url": emails.tenant_url(license.tenant, f"/licenses/{license.pk}/"),
                },
            )
        license.reminded_30_at = license.reminded_30_at or now  # within 7 days, one email says it
        if days == 7:
            license.reminded_7_at = now
        license.save(update_fields=["reminded_30_at", "reminded_7_at"])
    return 1


def _admin_emails(license: License) -> list[str]:
    return list(
        Membership.objects.filter(
            tenant_id=license.tenant_id, role=Role.ADMIN, is_active=True, user__is_active=True
        )
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
