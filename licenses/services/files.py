"""premium.lic files: issuing one for a credential, asking for one (an outbox), and the sweeps that
expire old ones, refresh those about to lapse and re-queue jobs a broker outage lost.

A credential wants a file while its `file_wanted_at` is set. The wish is written in the same
transaction as the change that makes it (a new credential, new sources, a new end, a resume) and
the job is queued after commit; the job clears the wish when it has issued. If the broker was down
at commit, the wish is still there and `license_files_refresh` queues the job again."""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Least
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

import premiumlic
from accounts.models import Event
from core import metrics
from licenses import keyring
from licenses.models import Credential, License, LicenseFile, LicenseFileBody, SweepMark

log = logging.getLogger(__name__)
REFRESH_WITHIN = timedelta(days=14)  # a current file closer than this to its end is replaced
REQUEUE_AFTER = timedelta(minutes=2)  # a wish this old lost its job (the broker was down)
BATCH = 10_000  # rows per statement in the sweeps
SWEEP_OVERLAP = timedelta(days=1)  # how far before its last mark the expiry sweep looks again
JOB_SIZE = 500  # credentials per generation job: a few queries and one commit for all of them


def files_want(credentials: QuerySet) -> None:
    """Ask for a new file for each enabled credential in `credentials`, once this commits."""
    now = timezone.now()
    wanting = list(credentials.filter(is_enabled=True).only("pk", "method", "identifier", "key_digest"))
    if wanting:
        ids = [credential.pk for credential in wanting]
        Credential.objects.filter(pk__in=ids).update(file_wanted_at=now)
        _enqueue_after_commit(ids)


def license_file_issue(*, credential_id, now: datetime | None = None) -> LicenseFile | None:
    """The credential's current premium.lic, newly signed if one is wanted or the current one is
    missing or close to its end; the one before it is superseded. None for a disabled credential
    or a license that is not active (any wish is dropped: re-enabling or resuming asks again)."""
    issued = license_files_issue(credential_ids=[credential_id], now=now)
    return next(iter(issued.values()), None)  # nothing for a deleted credential


def license_files_issue(*, credential_ids, now: datetime | None = None) -> dict:
    """`license_file_issue` for many credentials in one transaction: {credential id: file or None}
    (deleted credentials are left out). A few queries for the whole batch, whatever its size.

    Safe to run twice or at once from several workers and requests: the credentials' row locks
    (taken in id order, so two batches never deadlock) order them, the later one finds the
    earlier one's files and returns them, and the database keeps one latest (not superseded) file
    per credential.
    Killed half-way, it leaves the old files current and the wishes set."""
    now = now or timezone.now()
    with transaction.atomic():
        credentials = list(
            Credential.objects.select_for_update().filter(pk__in=credential_ids).order_by("pk")
        )
        # Read after the locks: a change committed while we waited is what we sign.
        licenses = (
            License.objects.select_related("tenant")
            .prefetch_related("terms")
            .in_bulk({c.license_id for c in credentials})
        )
        latest = LicenseFile.objects.filter(credential__in=credentials, superseded_at__isnull=True)
        currents = {f.credential_id: f for f in latest.select_related("body")}
        result, issued, superseded, fulfilled = {}, [], [], []
        for credential in credentials:
            license, current = licenses[credential.license_id], currents.get(credential.pk)
            if current is not None and not _needs_new_file(credential, license, current, now):
                result[credential.pk] = current
                continue
            held = _can_hold_file(credential, license, now)
            new = _sign(credential, license, now, seq=current.seq + 1 if current else 1) if held else None
            if new is not None:
                issued.append(new)
                superseded += [current.pk] if current is not None else []
            if credential.file_wanted_at is not None:
                fulfilled.append(credential.pk)
            result[credential.pk] = new
        if superseded:
            LicenseFile.objects.filter(pk__in=superseded).update(
                status=LicenseFile.Status.SUPERSEDED, superseded_at=now
            )
        LicenseFile.objects.bulk_create(issued)
        LicenseFileBody.objects.bulk_create(file.body for file in issued)
        if fulfilled:
            Credential.objects.filter(pk__in=fulfilled).update(file_wanted_at=None)
        if issued:
            transaction.on_commit(lambda: metrics.PREMIUM_FILES.inc(len(issued)))
    return result


def licenses_expire(*, now: datetime | None = None) -> dict[str, int]:
    """Mark current files and licenses past their end as expired: bulk, idempotent.

    Files are found by their end since the last sweep's mark (less a day, for files committed
    late or clocks that disagree), so a sweep reads what lapsed since, not the whole history; the
    update touches no indexed column, so PostgreSQL makes it in place."""
    now = now or timezone.now()
    with transaction.atomic():
        mark, _ = SweepMark.objects.select_for_update().get_or_create(
            name="license-files", defaults={"swept_until": _at(0)}
        )
        files = LicenseFile.objects.filter(
            status=LicenseFile.Status.CURRENT,
            expires_at__gt=mark.swept_until - SWEEP_OVERLAP,
            expires_at__lte=now,
        ).update(status=LicenseFile.Status.EXPIRED)
        mark.swept_until = max(mark.swept_until, now)
        mark.save(update_fields=["swept_until"])
    return {"files": files, "licenses": _licenses_expire(now)}


def license_files_refresh(*, now: datetime | None = None) -> dict[str, int]:
    """Queue a new file for every active credential whose current file is missing or within
    REFRESH_WITHIN of its end (unless the license ends first), and again for wishes whose job
    was lost. Each job is claimed by a conditional UPDATE, so sweeps running at once do not
    queue one twice."""
    now = now or timezone.now()
    fresh = LicenseFile.objects.filter(credential=OuterRef("pk"), superseded_at__isnull=True).filter(
        Q(bounded=False, expires_at__gte=Least(now + REFRESH_WITHIN, OuterRef("license__ends_at")))
        | Q(bounded=True, expires_at__gt=now)
    )
    due = (
        Credential.objects.filter(
            is_enabled=True,
            file_wanted_at__isnull=True,
            license__state=License.State.ACTIVE,
            license__ends_at__gt=now,
            license__starts_at__lt=now + timedelta(seconds=premiumlic.MAX_FILE_LIFETIME),
        )
        .exclude(Exists(fresh))
        .values_list("pk", flat=True)[:BATCH]
    )
    refreshed = _claim(Credential.objects.filter(pk__in=list(due), file_wanted_at__isnull=True), now)
    return {"refreshed": len(refreshed), "requeued": license_jobs_requeue(now=now)}


def license_jobs_requeue(*, now: datetime | None = None) -> int:
    """Queue again the jobs of wishes older than REQUEUE_AFTER (their job was lost: the broker was
    down when it was sent, or lost it); how many. Beat runs this every PORTAL_REQUEUE_SECONDS."""
    now = now or timezone.now()
    lost = Credential.objects.filter(file_wanted_at__lte=now - REQUEUE_AFTER)
    return len(_claim(Credential.objects.filter(pk__in=list(lost.values_list("pk", flat=True)[:BATCH])), now))


def _claim(credentials: QuerySet, now: datetime) -> list:
    """Set the wish on `credentials` (whose filter is re-checked under each row's lock) and queue
    their jobs: the ids this call claimed."""
    with transaction.atomic():
        ids = list(credentials.select_for_update(skip_locked=True).values_list("pk", flat=True))
        Credential.objects.filter(pk__in=ids).update(file_wanted_at=now)
        _enqueue_after_commit(ids)
    return ids


def file_is_due(
    *,
    wanted_at: datetime | None,
    expires_at: datetime,
    bounded: bool,
    license_ends_at: datetime,
    now: datetime,
) -> bool:
    """Whether a credential with a current file ending at `expires_at` should get a new one: it was
    asked for; or the file ends with the license or a source (`bounded`) and that end has passed
    (the next file leaves the ended source out); or it is near its 90 days while the license goes
    on (a new file would last longer)."""
    if wanted_at is not None:
        return True
    if bounded:
        return expires_at <= now
    return expires_at < min(now + REFRESH_WITHIN, license_ends_at)


def _needs_new_file(credential: Credential, license: License, current: LicenseFile, now: datetime) -> bool:
    return file_is_due(
        wanted_at=credential.file_wanted_at,
        expires_at=current.expires_at,
        bounded=current.bounded,
        license_ends_at=license.ends_at,
        now=now,
    )


def _can_hold_file(credential: Credential, license: License, now: datetime) -> bool:
    return credential.is_enabled and license.status_at(now) == License.State.ACTIVE


def _sign(credential: Credential, license: License, now: datetime, *, seq: int) -> LicenseFile | None:
    issued_at = int(now.timestamp())
    not_before = max(issued_at, int(license.starts_at.timestamp()))
    ends = {source: int(end.timestamp()) for source, end in license.source_ends().items()}
    ends = {source: end for source, end in ends.items() if end > not_before}  # ended sources left out
    if not ends or not_before >= min(issued_at + premiumlic.MAX_FILE_LIFETIME, *ends.values()):
        return None  # the license starts more than a file's lifetime from now
    body = premiumlic.payload(
        file_id=(file_id := uuid.uuid4()),
        license_id=license.pk,
        tenant_id=license.tenant_id,
        tenant_domain=license.tenant.domain,
        method=credential.method,
        credential=credential.identifier,
        sources=list(ends),
        issued_at=issued_at,
        not_before=not_before,
        license_ends_at=int(license.ends_at.timestamp()),
        source_ends=ends,
        grace=license.grace_days * 86400,
        seq=seq,
    )
    file = LicenseFile(
        id=file_id,
        license=license,
        credential=credential,
        sources=body["sources"],
        issued_at=_at(body["iat"]),
        not_before=_at(body["nbf"]),
        expires_at=_at(body["exp"]),
        seq=seq,
        bounded=body["exp"] < issued_at + premiumlic.MAX_FILE_LIFETIME,
    )
    file.body = LicenseFileBody(file=file, text=keyring.current().sign(body))
    return file


def _licenses_expire(now: datetime) -> int:
    with transaction.atomic():
        ending = list(
            License.objects.select_for_update(skip_locked=True)
            .filter(state__in=[License.State.ACTIVE, License.State.SUSPENDED], ends_at__lte=now)
            .values_list("pk", "tenant_id", "name", "state")[:BATCH]
        )
        License.objects.filter(pk__in=[row[0] for row in ending]).update(state=License.State.EXPIRED)
        Event.objects.bulk_create(
            Event(
                tenant_id=tenant_id,
                actor_email="system",
                action="license.expire",
                target_type="license",
                target_id=str(pk),
                target_label=name,
                data={"previous": state},
            )
            for pk, tenant_id, name, state in ending
        )
    return len(ending)


def _enqueue_after_commit(ids) -> None:
    from licenses import tasks

    ids = [str(credential_id) for credential_id in ids]

    def enqueue():
        for start in range(0, len(ids), JOB_SIZE):
            try:
                tasks.license_files_generate.delay(ids[start : start + JOB_SIZE])
            except (KombuOperationalError, OSError) as exc:
                _jobs_lost(ids[start:], exc)
                return

    transaction.on_commit(enqueue, robust=True)


def _jobs_lost(ids: list[str], exc: Exception) -> None:
    """The broker refused these jobs: date their wishes back so the next requeue sweep (within
    PORTAL_REQUEUE_SECONDS of the broker's return) queues them instead of waiting REQUEUE_AFTER."""
    log.warning("could not queue %d license file jobs (%r); the requeue sweep will", len(ids), exc)
    Credential.objects.filter(pk__in=ids, file_wanted_at__isnull=False).update(
        file_wanted_at=timezone.now() - REQUEUE_AFTER
    )


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
