"""The signed revocation list at /.well-known/premium-license-revocations: revoked licenses, and
the files of deleted credentials and licenses, for tools to refuse offline.

A change that revokes something queues a new list after commit; the list is also remade when it
is due (`next`, daily) and, should the job have been lost, by the first request that finds it
older than a revocation."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

import premiumcrl
from licenses import keyring
from licenses.models import MAX_GRACE_DAYS, License, LicenseFile, RevocationList, RevokedFile, SweepMark

log = logging.getLogger(__name__)
LIST_EVERY = timedelta(days=1)  # a list's `next`
REMADE_BEFORE = timedelta(hours=1)  # the hourly beat remakes a list this close to its `next`
KEPT = 10  # lists kept after a new one (the newest is served)
GRACE = timedelta(days=MAX_GRACE_DAYS, minutes=5)  # files stay usable this long after `exp`


def files_revoke(files) -> None:
    """List `files` (a LicenseFile queryset of a credential or license about to be deleted) that
    could still be used, then queue a new list after commit."""
    revocations_lock()
    now = timezone.now()
    RevokedFile.objects.bulk_create(
        (
            RevokedFile(file_id=pk, license_id=license_id, until=expires_at + GRACE, revoked_at=now)
            for pk, license_id, expires_at in files.filter(expires_at__gt=now - GRACE).values_list(
                "pk", "license_id", "expires_at"
            )
        ),
        ignore_conflicts=True,
    )
    revocations_want()


def revocations_lock() -> None:
    """Taken in a revoking change's transaction before it writes its time: a list being made is
    finished first, and the next waits for this change to commit. So no list is made without a
    revocation that was already stamped earlier than it, and `_revoked_since` finds every one a
    list misses, even when its queued job was lost (the list's lock row is the one publish takes)."""
    SweepMark.objects.select_for_update().get_or_create(
        name="revocations", defaults={"swept_until": timezone.now()}
    )


def revocations_want() -> None:
    """Queue a new list once the transaction commits (a lost job is made up for by `current`)."""
    from licenses import tasks

    def enqueue():
        try:
            tasks.revocations_publish.delay()
        except (KombuOperationalError, OSError) as exc:
            log.warning("could not queue the revocation list (%r); the next request remakes it", exc)

    transaction.on_commit(enqueue, robust=True)


def revocations_publish(*, now: datetime | None = None) -> RevocationList:
    """Sign a new list of what is revoked now; one at a time, `seq` rising."""
    now = now or timezone.now()
    with transaction.atomic():
        SweepMark.objects.select_for_update().get_or_create(name="revocations", defaults={"swept_until": now})
        fids = RevokedFile.objects.filter(until__gt=now).values_list("file_id", flat=True)
        usable = LicenseFile.objects.filter(license=OuterRef("pk"), expires_at__gt=now - GRACE)
        lids = (
            License.objects.filter(state=License.State.REVOKED)
            .filter(Exists(usable))
            .values_list("pk", flat=True)
        )
        row = RevocationList.objects.create(issued_at=now, next_at=now + LIST_EVERY, text="")
        body = premiumcrl.payload(
            seq=row.seq,
            issued_at=int(now.timestamp()),
            next_at=int(row.next_at.timestamp()),
            fids=fids.iterator(chunk_size=10_000),
            lids=lids,
        )
        row.text = keyring.current().sign_revocations(body)
        row.save(update_fields=["text"])
        RevocationList.objects.filter(seq__lte=row.seq - KEPT).delete()
        RevokedFile.objects.filter(until__lte=now).delete()
    return row


def revocations_current(*, now: datetime | None = None) -> RevocationList:
    """The list to serve: the newest, or a new one if there is none, it is past its `next`, or
    something was revoked after it was made (its job was lost)."""
    now = now or timezone.now()
    latest = RevocationList.objects.order_by("-seq").first()
    if latest is None or latest.next_at <= now or _revoked_since(latest.issued_at):
        return revocations_publish(now=now)
    return latest


def revocations_refresh(*, now: datetime | None = None) -> int | None:
    """The hourly beat: a new list when the newest is within REMADE_BEFORE of its `next` or older
    than a revocation; its seq, or None when the newest still holds."""
    now = now or timezone.now()
    latest = RevocationList.objects.order_by("-seq").first()
    if latest is None or latest.next_at <= now + REMADE_BEFORE or _revoked_since(latest.issued_at):
        return revocations_publish(now=now).seq
    return None


def _revoked_since(moment: datetime) -> bool:
    """A license revoked, or a file listed, after the list of `moment` was made."""
    return (
        License.objects.filter(state=License.State.REVOKED, updated_at__gt=moment).exists()
        or RevokedFile.objects.filter(revoked_at__gt=moment).exists()
    )
