"""A license's life: sold for some sources and a term, changed, suspended, resumed, revoked."""

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

import premiumlic
from accounts.models import Tenant
from accounts.services import Actor, event_record
from core.errors import Conflict, ServiceError
from licenses.models import MAX_GRACE_DAYS, License

from . import terms
from .files import files_want
from .guards import require_admin
from .revocations import files_revoke, revocations_lock, revocations_want
from .seats import UNCHANGED, clean_seats, require_fits


def license_create(
    *,
    tenant: Tenant,
    by: Actor,
    name: str,
    sources,
    starts_at: datetime,
    ends_at: datetime,
    source_ends: Mapping | None = None,
    grace_days: int = 0,
    seats: int | None = None,
) -> License:
    """`source_ends` gives sources an earlier end than the license's (COSMIC until March);
    `grace_days` (0 to 14) lets tools keep an expired file that long, with a warning; `seats`
    caps its credentials (None: no cap)."""
    require_admin(by, tenant)
    license = License(
        tenant=tenant,
        name=_clean_name(name),
        sources=clean_sources(sources),
        starts_at=_whole_second(starts_at),
        ends_at=_whole_second(ends_at),
        grace_days=_clean_grace(grace_days),
        seats=clean_seats(seats),
    )
    _check_term(license.starts_at, license.ends_at, now=timezone.now())
    ends = clean_source_ends(license, source_ends or {})
    try:
        with transaction.atomic():
            license.save(force_insert=True)
            terms.terms_set(license, ends, now=timezone.now())
            event_record(
                tenant=tenant,
                by=by,
                action="license.create",
                target=license,
                **_described(license),
                source_ends=_iso_ends(ends),
            )
    except IntegrityError:
        raise _name_taken(license.name) from None
    return license


def license_update(
    *,
    license: License,
    by: Actor,
    name: str | None = None,
    sources=None,
    ends_at: datetime | None = None,
    source_ends: Mapping | None = None,
    grace_days: int | None = None,
    seats=UNCHANGED,
) -> License:
    """Rename, change the sources, the sources' own ends (`source_ends` replaces them all: a
    source left out runs to the license's end), the grace, the seats (None: no cap), or move the
    end of the term.

    Moving the end of an expired license into the future renews it. Files already issued name
    the old sources and ends, so each credential gets a new one."""
    require_admin(by, license.tenant)
    now = timezone.now()
    with transaction.atomic():
        locked = License.objects.select_for_update().get(pk=license.pk)
        if locked.state == License.State.REVOKED:
            raise Conflict("This license is revoked; it can no longer change.", code="license_revoked")
        before = _described(locked)
        if name is not None:
            locked.name = _clean_name(name)
        if sources is not None:
            locked.sources = clean_sources(sources)
        if ends_at is not None:
            ends_at = _whole_second(ends_at)
            _check_term(locked.starts_at, ends_at, now=now)
            _move_end(locked, ends_at, now=now)
        if grace_days is not None:
            locked.grace_days = _clean_grace(grace_days)
        if seats is not UNCHANGED:
            locked.seats = clean_seats(seats)
            require_fits(locked)
        if source_ends is None:  # the terms that still fit the sources and the end
            source_ends = {s: end for s, end in locked.source_ends().items() if end < locked.ends_at}
        ends = clean_source_ends(locked, source_ends)
        before["source_ends"] = _iso_ends({term.source: term.ends_at for term in locked.terms.all()})
        after = {**_described(locked), "source_ends": _iso_ends(ends)}
        changes = {key: {"from": before[key], "to": after[key]} for key in after if after[key] != before[key]}
        if not changes:
            return locked
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise _name_taken(locked.name) from None
        terms.terms_set(locked, ends, now=now)
        event_record(tenant=locked.tenant, by=by, action="license.update", target=locked, changes=changes)
        if changes.keys() & {"sources", "ends_at", "source_ends", "grace_days"}:
            files_want(locked.credentials.all())
    return locked


def license_suspend(*, license: License, by: Actor) -> License:
    return _change_state(license, by, License.State.SUSPENDED, allowed_from={License.State.ACTIVE})


def license_resume(*, license: License, by: Actor) -> License:
    return _change_state(license, by, License.State.ACTIVE, allowed_from={License.State.SUSPENDED})


def license_revoke(*, license: License, by: Actor) -> License:
    """For good: files already issued stop validating online at once (they still verify offline
    until they expire, which is why files live 90 days at most)."""
    return _change_state(
        license, by, License.State.REVOKED, allowed_from={License.State.ACTIVE, License.State.SUSPENDED}
    )


def license_delete(*, license: License, by: Actor) -> None:
    """Gone with its credentials and files: tools holding its files can no longer refresh them or
    validate them online (to keep a record, revoke instead)."""
    require_admin(by, license.tenant)
    with transaction.atomic():
        event_record(
            tenant=license.tenant, by=by, action="license.delete", target=license, **_described(license)
        )
        files_revoke(license.files.all())  # tools must refuse them offline too
        license.delete()


def clean_sources(sources) -> list[str]:
    if isinstance(sources, str) or not isinstance(sources, (list, tuple, set, frozenset)):
        raise ServiceError("Sources are a list of premium source names.", code="invalid_sources")
    unknown = sorted(set(sources) - set(premiumlic.SOURCES), key=str)
    if unknown:
        raise ServiceError(
            f"Unknown premium source {unknown[0]!r}: choose from {', '.join(premiumlic.SOURCES)}.",
            code="invalid_sources",
        )
    if not sources:
        raise ServiceError("Choose at least one premium source.", code="invalid_sources")
    return sorted(set(sources))


def clean_source_ends(license: License, source_ends: Mapping) -> dict:
    """The sources' own ends that differ from the license's, checked: each within the term, and at
    least one source running to the license's end (else the license should end sooner)."""
    if not isinstance(source_ends, Mapping):
        raise ServiceError("Give the sources' ends as {source: date}.", code="invalid_source_ends")
    ends = {}
    for source, end in source_ends.items():
        if source not in license.sources:
            raise ServiceError(
                f"{source!r} is not one of this license's sources.", code="invalid_source_ends"
            )
        if not isinstance(end, datetime) or timezone.is_naive(end):
            raise ServiceError(
                f"Give {source}'s end with a time zone (ISO 8601, e.g. 2027-03-31T00:00:00Z).",
                code="invalid_source_ends",
            )
        end = _whole_second(end)
        if end <= license.starts_at or end > license.ends_at:
            raise ServiceError(
                f"{source}'s end must fall within the license's term.", code="invalid_source_ends"
            )
        if end < license.ends_at:
            ends[source] = end
    if set(ends) == set(license.sources):
        raise ServiceError(
            "At least one source runs to the license's end: end the license sooner instead.",
            code="invalid_source_ends",
        )
    return ends


def _clean_grace(days) -> int:
    if type(days) is not int or not 0 <= days <= MAX_GRACE_DAYS:
        raise ServiceError(f"Grace is a whole number of days, 0 to {MAX_GRACE_DAYS}.", code="invalid_grace")
    return days


def _iso_ends(ends: Mapping) -> dict:
    return {source: end.isoformat() for source, end in sorted(ends.items())}


def _move_end(license: License, ends_at: datetime, *, now: datetime) -> None:
    license.ends_at = ends_at
    if license.state == License.State.EXPIRED:
        license.state = License.State.ACTIVE  # renewed
    # A reminder is owed again for a threshold the new end is not yet within.
    if ends_at - now > timedelta(days=30):
        license.reminded_30_at = None
    if ends_at - now > timedelta(days=7):
        license.reminded_7_at = None


def _change_state(license: License, by: Actor, state: str, *, allowed_from: set[str]) -> License:
    require_admin(by, license.tenant)
    with transaction.atomic():
        locked = License.objects.select_for_update().get(pk=license.pk)
        current = locked.status
        if current == state:
            return locked  # idempotent: a second click changes nothing and records nothing
        if current not in allowed_from:
            raise Conflict(f"A {current} license cannot become {state}.", code=f"license_{current}")
        if state == License.State.REVOKED:
            revocations_lock()  # before its time is written: see revocations_lock
        locked.state = state
        locked.save(update_fields=["state", "updated_at"])
        event_record(
            tenant=locked.tenant, by=by, action=f"license.{_VERBS[state]}", target=locked, previous=current
        )
        if state == License.State.ACTIVE:
            files_want(locked.credentials.all())  # none were issued while it was suspended
        if state == License.State.REVOKED:
            revocations_want()  # a new list names it
    return locked


_VERBS = {License.State.SUSPENDED: "suspend", License.State.ACTIVE: "resume", License.State.REVOKED: "revoke"}


def _check_term(starts_at: datetime, ends_at: datetime, *, now: datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ServiceError(
            "Give the term with a time zone (ISO 8601, e.g. 2027-01-31T00:00:00Z).", code="invalid_term"
        )
    if ends_at <= starts_at:
        raise ServiceError("The term must end after it starts.", code="invalid_term")
    if ends_at <= now:
        raise ServiceError("The term must end in the future.", code="invalid_term")


def _whole_second(moment: datetime) -> datetime:
    # premium.lic counts in whole seconds; a term that does too lets a file end exactly with it.
    return moment.replace(microsecond=0)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError(
            "Name the license for its purpose, e.g. the lab or the instrument.", code="invalid_name"
        )
    if len(name) > 100:
        raise ServiceError("A license name has at most 100 characters.", code="invalid_name")
    return name


def _name_taken(name: str) -> Conflict:
    return Conflict(f"This tenant already has a license named {name!r}.", code="license_name_taken")


def _described(license: License) -> dict:
    return {
        "name": license.name,
        "sources": list(license.sources),
        "starts_at": license.starts_at.isoformat(),
        "ends_at": license.ends_at.isoformat(),
        "state": license.state,
        "grace_days": license.grace_days,
        "seats": license.seats,
    }
