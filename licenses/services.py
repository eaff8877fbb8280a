"""Licenses: every change a tenant admin makes, checked, audited in the same transaction."""

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import Conflict, Forbidden, ServiceError
from accounts.models import Tenant
from accounts.services import Actor, event_record
from apikeys import keys
from licenses import credentials, keyring, signing
from licenses.models import Credential, License, LicenseFile


def license_create(
    *, tenant: Tenant, by: Actor, name: str, sources, starts_at: datetime, ends_at: datetime
) -> License:
    _require_admin(by, tenant)
    license = License(
        tenant=tenant,
        name=_clean_name(name),
        sources=clean_sources(sources),
        starts_at=starts_at,
        ends_at=ends_at,
    )
    _check_term(license.starts_at, license.ends_at, now=timezone.now())
    try:
        with transaction.atomic():
            license.save(force_insert=True)
            event_record(tenant=tenant, by=by, action="license.create", target=license, **_described(license))
    except IntegrityError:
        raise Conflict(
            f"This tenant already has a license named {license.name!r}.", code="license_name_taken"
        ) from None
    return license


def license_update(
    *,
    license: License,
    by: Actor,
    name: str | None = None,
    sources=None,
    ends_at: datetime | None = None,
) -> License:
    """Rename, change the sources, or move the end of the term (extend it, or end it sooner)."""
    _require_admin(by, license.tenant)
    with transaction.atomic():
        locked = License.objects.select_for_update().get(pk=license.pk)
        if locked.state in (License.State.REVOKED, License.State.EXPIRED):
            raise Conflict(
                f"This license is {locked.state}; it can no longer change.", code=f"license_{locked.state}"
            )
        before = _described(locked)
        if name is not None:
            locked.name = _clean_name(name)
        if sources is not None:
            locked.sources = clean_sources(sources)
        if ends_at is not None:
            _check_term(locked.starts_at, ends_at, now=timezone.now())
            locked.ends_at = ends_at
        after = _described(locked)
        changes = {
            field: {"from": before[field], "to": after[field]}
            for field in after
            if after[field] != before[field]
        }
        if changes:
            try:
                with transaction.atomic():
                    locked.save()
            except IntegrityError:
                raise Conflict(
                    f"This tenant already has a license named {locked.name!r}.", code="license_name_taken"
                ) from None
            event_record(tenant=locked.tenant, by=by, action="license.update", target=locked, changes=changes)
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


@dataclass(frozen=True)
class NewCredential:
    credential: Credential
    secrets: dict = field(default_factory=dict)  # shown once: {"api_key", "api_secret"} or {"key"}


_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def credential_add(
    *, license: License, by: Actor, method: str, serial_number: str | None = None
) -> NewCredential:
    """A new way for a tool to prove it holds `license`; a generated secret is returned this once."""
    _require_admin(by, license.tenant)
    credential, secrets = _new_credential(license, method, serial_number)
    try:
        with transaction.atomic():
            locked = License.objects.select_for_update().get(pk=license.pk)
            if locked.status in (License.State.REVOKED, License.State.EXPIRED):
                raise Conflict(
                    f"This license is {locked.status}; it takes no new credentials.",
                    code=f"license_{locked.status}",
                )
            credential.save(force_insert=True)
            event_record(
                tenant=license.tenant,
                by=by,
                action="credential.add",
                target=credential,
                **_credential_data(credential),
            )
    except IntegrityError:
        raise Conflict(
            "This serial number is already registered to a license.", code="serial_taken"
        ) from None
    return NewCredential(credential=credential, secrets=secrets)


def credential_set_enabled(*, credential: Credential, by: Actor, enabled: bool) -> Credential:
    _require_admin(by, credential.license.tenant)
    with transaction.atomic():
        changed = Credential.objects.filter(pk=credential.pk, is_enabled=not enabled).update(
            is_enabled=enabled
        )
        if changed:
            action = "credential.enable" if enabled else "credential.disable"
            event_record(
                tenant=credential.license.tenant,
                by=by,
                action=action,
                target=credential,
                **_credential_data(credential),
            )
    credential.is_enabled = enabled
    return credential


def credential_delete(*, credential: Credential, by: Actor) -> None:
    """Its files go with it: the tool holding them can no longer refresh or validate online."""
    tenant = credential.license.tenant
    _require_admin(by, tenant)
    with transaction.atomic():
        event_record(
            tenant=tenant,
            by=by,
            action="credential.delete",
            target=credential,
            **_credential_data(credential),
        )
        credential.delete()


def _new_credential(license: License, method: str, serial_number: str | None) -> tuple[Credential, dict]:
    credential = Credential(license=license, method=method, file_wanted_at=timezone.now())
    if method == Credential.Method.DRAGEN_SERIAL:
        serial = (serial_number or "").strip()
        if not _SERIAL.fullmatch(serial):
            raise ServiceError(
                "Give the DRAGEN server's serial number: letters, digits, '.', '_' or '-', at most 64.",
                code="invalid_serial",
            )
        credential.identifier = serial
        return credential, {}
    if serial_number:
        raise ServiceError("A serial number goes only with the dragen_serial method.", code="invalid_method")
    if method == Credential.Method.BYOL:
        user_id, password = credentials.byol_user_id(), credentials.byol_password()
        credential.identifier, credential.secret_hash = user_id, make_password(password)
        return credential, {"api_key": user_id, "api_secret": password}
    if method == Credential.Method.DRAGEN_API_KEY:
        key = credentials.DRAGEN_KEYS.generate()
        credential.identifier = str(credential.id)
        credential.key_digest, credential.key_prefix = (
            keys.digest(key),
            credentials.DRAGEN_KEYS.display_prefix(key),
        )
        return credential, {"key": key}
    raise ServiceError(
        f"Unknown credential method {method!r}: use dragen_serial, byol or dragen_api_key.",
        code="invalid_method",
    )


def _credential_data(credential: Credential) -> dict:
    shown = (
        credential.key_prefix
        if credential.method == Credential.Method.DRAGEN_API_KEY
        else credential.identifier
    )
    return {"license": str(credential.license_id), "method": credential.method, "credential": shown}


def license_file_issue(*, credential_id, now: datetime | None = None) -> LicenseFile | None:
    """Sign a new current premium.lic for a credential; the one before it is superseded.

    Safe to run twice or at once from several workers: the credential's row lock orders them, and
    the database keeps one current file per credential. A transaction killed half-way leaves the
    old file current and the credential still wanting one. No file for a disabled credential or a
    license that is not active (its wish is dropped: resuming asks again)."""
    now = now or timezone.now()
    with transaction.atomic():
        credential = (
            Credential.objects.select_for_update(of=("self",))
            .select_related("license__tenant")
            .filter(pk=credential_id)
            .first()
        )
        if credential is None:
            return None  # deleted since the job was queued
        license = credential.license
        issued_at = int(now.timestamp())
        not_before = max(issued_at, int(license.starts_at.timestamp()))
        expires_at = min(issued_at + signing.MAX_FILE_LIFETIME, int(license.ends_at.timestamp()))
        if (
            not credential.is_enabled
            or license.status_at(now) != License.State.ACTIVE
            or not_before >= expires_at
        ):
            Credential.objects.filter(pk=credential.pk).update(file_wanted_at=None)
            return None
        file_id = uuid.uuid4()
        body = signing.payload(
            file_id=file_id,
            license_id=license.pk,
            tenant_id=license.tenant_id,
            tenant_domain=license.tenant.domain,
            method=credential.method,
            credential=credential.identifier,
            sources=license.sources,
            issued_at=issued_at,
            not_before=not_before,
            license_ends_at=int(license.ends_at.timestamp()),
        )
        LicenseFile.objects.filter(credential=credential, status=LicenseFile.Status.CURRENT).update(
            status=LicenseFile.Status.SUPERSEDED
        )
        issued = LicenseFile.objects.create(
            id=file_id,
            license=license,
            credential=credential,
            text=keyring.current().sign(body),
            sources=body["sources"],
            issued_at=_at(body["iat"]),
            not_before=_at(body["nbf"]),
            expires_at=_at(body["exp"]),
        )
        Credential.objects.filter(pk=credential.pk).update(file_wanted_at=None)
    return issued


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def clean_sources(sources) -> list[str]:
    if isinstance(sources, str) or not isinstance(sources, (list, tuple, set, frozenset)):
        raise ServiceError("Sources are a list of premium source names.", code="invalid_sources")
    unknown = sorted(set(sources) - set(signing.SOURCES), key=str)
    if unknown:
        raise ServiceError(
            f"Unknown premium source {unknown[0]!r}: choose from {', '.join(signing.SOURCES)}.",
            code="invalid_sources",
        )
    if not sources:
        raise ServiceError("Choose at least one premium source.", code="invalid_sources")
    return sorted(set(sources))


def _change_state(license: License, by: Actor, state: str, *, allowed_from: set[str]) -> License:
    _require_admin(by, license.tenant)
    with transaction.atomic():
        locked = License.objects.select_for_update().get(pk=license.pk)
        current = locked.status
        if current == state:
            return locked  # idempotent: a second click changes nothing and records nothing
        if current not in allowed_from:
            raise Conflict(f"A {current} license cannot become {state}.", code=f"license_{current}")
        locked.state = state
        locked.save(update_fields=["state", "updated_at"])
        event_record(
            tenant=locked.tenant, by=by, action=f"license.{_VERBS[state]}", target=locked, previous=current
        )
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


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError(
            "Name the license for its purpose, e.g. the lab or the instrument.", code="invalid_name"
        )
    if len(name) > 100:
        raise ServiceError("A license name has at most 100 characters.", code="invalid_name")
    return name


def _described(license: License) -> dict:
    return {
        "name": license.name,
        "sources": list(license.sources),
        "starts_at": license.starts_at.isoformat(),
        "ends_at": license.ends_at.isoformat(),
    }


def _require_admin(by: Actor, tenant: Tenant) -> None:
    if not by.is_tenant_admin(tenant):
        raise Forbidden("Only tenant admins manage licenses.")
