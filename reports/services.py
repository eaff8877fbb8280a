"""Every write to reports: ask for one, build it (in a Celery worker), sweep old ones."""

import csv
import logging
import os
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import addresses, emails
from accounts.models import Membership, Tenant
from accounts.services import Actor, event_record
from accounts.services.guards import require_tenant_admin
from core.errors import ServiceError
from reports import kinds
from reports.models import Report
from sso.models import SignIn

log = logging.getLogger(__name__)
MAX_DAYS = 90  # a report covers at most the last 90 days
MAX_RECIPIENTS = 20
PROGRESS_EVERY = 5000  # rows between two progress writes
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


def report_request(
    *, tenant: Tenant, by: Actor, kind: str, starts_on: date, ends_on: date, recipients: list[str]
) -> Report:
    """A report of `tenant`'s last 90 days at most, made in the background and emailed to
    `recipients`: members of the tenant, or addresses in its allowed or verified domains."""
    require_tenant_admin(by, tenant)
    if kind not in kinds.KINDS:
        raise ServiceError(f"Unknown report {kind!r}: one of {', '.join(kinds.KINDS)}.", code="invalid_kind")
    _check_range(starts_on, ends_on)
    recipients = _checked_recipients(tenant, recipients)
    with transaction.atomic():
        report = Report.objects.create(
            tenant=tenant, kind=kind, starts_on=starts_on, ends_on=ends_on, recipients=recipients,
            requested_by=by.user,
        )  # fmt: skip
        event_record(tenant=tenant, by=by, action="report.request", target=report, kind=kind,
                     starts_on=str(starts_on), ends_on=str(ends_on), recipients=recipients)  # fmt: skip
        transaction.on_commit(lambda: _enqueue(report.pk), robust=True)
    return report


def _enqueue(report_id) -> None:
    from reports import tasks  # tasks import services: the cycle is broken here

    tasks.report_build.delay(str(report_id))


def _check_range(starts_on: date, ends_on: date) -> None:
    today = timezone.now().date()
    if ends_on < starts_on:
        raise ServiceError("The range ends before it starts.", code="invalid_range")
    if starts_on < today - timedelta(days=MAX_DAYS - 1) or ends_on > today:
        first = today - timedelta(days=MAX_DAYS - 1)
        raise ServiceError(
            f"Choose days from {first} to {today} (the last {MAX_DAYS}).", code="invalid_range"
        )


def _checked_recipients(tenant: Tenant, recipients: list[str]) -> list[str]:
    found = sorted({addresses.canonical(r) for r in recipients if r.strip()})
    if len(found) > MAX_RECIPIENTS:
        raise ServiceError(f"At most {MAX_RECIPIENTS} recipients.", code="invalid_recipients")
    members = set(
        Membership.objects.filter(tenant=tenant, is_active=True, user__email__in=found).values_list(
            "user__email", flat=True
        )
    )
    signin = SignIn.objects.filter(tenant=tenant).first()
    domains = {d.lower() for d in tenant.allowed_email_domains} | set(
        signin.verified_domains if signin else []
    )
    strangers = [r for r in found if r not in members and r.rpartition("@")[2] not in domains]
    bad = [r for r in found if addresses.problem(r)]
    if bad or strangers:
        raise ServiceError(
            f"Reports go only to members of {tenant.name} or to addresses in its domains: "
            f"{', '.join(bad or strangers)} is not one.",
            code="invalid_recipients",
        )
    return found


def report_path(report: Report) -> Path:
    return settings.PORTAL_REPORTS_DIR / str(report.tenant_id) / f"{report.pk}.csv"


def report_build(*, report_id) -> bool:
    """Write the report's CSV, row by row from a database cursor, then email it. Claimed with a
    conditional UPDATE, so a job delivered twice builds it once."""
    now = timezone.now()
    claimed = Report.objects.filter(pk=report_id, status=Report.Status.QUEUED).update(
        status=Report.Status.RUNNING, started_at=now
    )
    if not claimed:
        return False
    report = Report.objects.select_related("tenant").get(pk=report_id)
    try:
        _write(report)
    except Exception as exc:
        Report.objects.filter(pk=report.pk).update(status=Report.Status.FAILED, problem=str(exc)[:500])
        raise
    from reports import tasks

    for recipient in report.recipients:
        tasks.report_mail.delay(str(report.pk), recipient)
    return True


def _write(report: Report) -> None:
    kind = kinds.KINDS[report.kind]
    scope = kinds.Range(report.tenant, report.starts_on, report.ends_on)
    Report.objects.filter(pk=report.pk).update(rows_expected=kind.expected(scope))
    path = report_path(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = 0
    with open(
        os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", newline="", encoding="utf-8"
    ) as out:
        writer = csv.writer(out)
        writer.writerow(kind.columns)
        for row in kind.rows(scope):
            writer.writerow([_cell(value) for value in row])
            done += 1
            if done % PROGRESS_EVERY == 0:
                Report.objects.filter(pk=report.pk).update(rows_done=done)
    finished = timezone.now()
    report.status, report.rows_done, report.size = Report.Status.DONE, done, path.stat().st_size
    report.finished_at, report.expires_at = (
        finished,
        finished + timedelta(days=settings.PORTAL_REPORT_KEEP_DAYS),
    )
    report.save(update_fields=["status", "rows_done", "size", "finished_at", "expires_at"])


def _cell(value):
    """A value as a CSV cell: text a spreadsheet would take for a formula (an address or a name
    someone chose, `=HYPERLINK(…)`) gets a leading apostrophe, so it stays text (OWASP)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value.isoformat() if hasattr(value, "isoformat") else value


def report_mail(*, report_id, recipient: str) -> bool:
    """Email a finished report to one of its recipients: attached when small enough, else a link
    to the Reports page (tenant admins)."""
    report = Report.objects.select_related("tenant").filter(pk=report_id, status=Report.Status.DONE).first()
    if report is None or recipient not in report.recipients:
        return False
    path, attach = report_path(report), report.size <= settings.PORTAL_REPORT_ATTACH_BYTES
    attachments = [(report.filename, path.read_bytes(), "text/csv")] if attach else []
    context = {"report": report, "attached": attach, "url": emails.tenant_url(report.tenant, "/reports/")}
    emails.send("report", to=recipient, tenant=report.tenant, context=context, attachments=attachments)
    return True


def reports_sweep() -> dict[str, int]:
    """Every ten minutes (beat): queue again the reports whose job was lost (the broker was down,
    the worker died), and delete the files of reports past their days."""
    now = timezone.now()
    stale = Report.objects.filter(
        status=Report.Status.QUEUED, created_at__lt=now - timedelta(minutes=5)
    ) | Report.objects.filter(status=Report.Status.RUNNING, started_at__lt=now - timedelta(hours=1))
    requeued = 0
    for report in stale:
        Report.objects.filter(pk=report.pk).update(status=Report.Status.QUEUED)
        _enqueue(report.pk)
        requeued += 1
    expired = 0
    for report in Report.objects.filter(status=Report.Status.DONE, expires_at__lt=now).select_related(
        "tenant"
    ):
        report_path(report).unlink(missing_ok=True)
        Report.objects.filter(pk=report.pk).update(status=Report.Status.EXPIRED)
        expired += 1
    return {"requeued": requeued, "expired": expired}
