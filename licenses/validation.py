"""`POST /api/licensing/validate`: is a premium.lic good now — its signature, its license's status,
its credential, its time window — and, source by source, what the license grants now."""

from datetime import UTC, datetime

from django.utils import timezone

import premiumlic
from access.rules import TOOLS, tenant_refusal
from accounts.models import Tenant
from core import usage
from licenses import keyring
from licenses.licensing import STATUS_CODES, Refusal
from licenses.models import USAGE_VALIDATIONS, License, LicenseFile

# A source's row: the file grants it now; its own end has passed; the license no longer (or
# never) has it; the license grants it but this file does not (fetch the current one); or the
# whole license is refused (revoked, suspended, not yet valid, credential disabled).
GRANTED, ENDED, NOT_IN_LICENSE = "granted", "ended", "not_in_license"
SUPERSEDED, REFUSED = "superseded", "refused"
ROW_STATUSES = (GRANTED, ENDED, NOT_IN_LICENSE, SUPERSEDED, REFUSED)


def validate(text: str, *, tenant: Tenant | None, ip: str | None = None) -> dict:
    """The verdict for the tools. At a tenant's host only that tenant's files are known (an
    operator host knows any, and applies the file's tenant's networks for the tools, as its host
    would)."""
    try:
        body = keyring.current().verify(text)
    except premiumlic.InvalidLicense:
        return _verdict("INVALID_LICENSE")
    files = LicenseFile.objects.select_related("license__tenant", "credential").filter(pk=body["fid"])
    if tenant is not None:
        files = files.filter(license__tenant=tenant)
    file = files.prefetch_related("license__terms").first()
    if file is None or str(file.license_id) != body["lid"]:
        return _verdict("INVALID_LICENSE", body)  # its credential was deleted
    if tenant is None and (outside := tenant_refusal(file.license.tenant, TOOLS, ip)):
        raise Refusal("NETWORK_REFUSED", outside.message)
    usage.count(USAGE_VALIDATIONS, file.credential_id)
    now = timezone.now()
    code = _code(file, body, now)
    # LICENSE_SUPERSEDED: a newer file replaces it (or will: the license changed and its job is
    # queued). The answer is the license as it is now: never a source it no longer has.
    sources = file.license.sources if code == "LICENSE_SUPERSEDED" else None
    return {**_verdict(code, body, sources=sources), "by_source": _rows(code, body, file.license, now)}


def _code(file: LicenseFile, body: dict, now: datetime) -> str | None:
    code = STATUS_CODES.get(file.license.status_at(now))
    if code is not None:
        return code
    if not file.credential.is_enabled:
        return "INVALID_CREDENTIALS"
    try:
        premiumlic.check_window(body, now=now.timestamp())
    except premiumlic.OutsideWindow as outside:
        return "LICENSE_EXPIRED" if outside.expired else "LICENSE_NOT_YET_VALID"
    if file.superseded_at is not None or not set(body["sources"]) <= set(file.license.sources):
        return "LICENSE_SUPERSEDED"
    return None


def _rows(code: str | None, body: dict, license: License, now: datetime) -> list[dict]:
    """One row per premium source, in the format's order."""
    ends, in_file = license.source_ends(), set(body["sources"])
    refused = code not in (None, "LICENSE_SUPERSEDED", "LICENSE_EXPIRED")
    rows = []
    for source in premiumlic.SOURCES:
        end = ends.get(source)
        if end is None:
            status = NOT_IN_LICENSE
        elif end <= now:
            status = ENDED
        elif refused:
            status = REFUSED
        elif code is not None or source not in in_file:
            status = SUPERSEDED  # the license grants it; this file does not, or no longer
        else:
            status = GRANTED
        rows.append({"source": source, "status": status, "ends_at": end.isoformat() if end else None})
    return rows


def _verdict(code: str | None, body: dict | None = None, *, sources: list[str] | None = None) -> dict:
    return {
        "valid": code is None,
        "code": code,
        "license_id": body["lid"] if body else None,
        "sources": sorted(sources if sources is not None else body["sources"] if body else []),
        "expires_at": datetime.fromtimestamp(body["exp"], tz=UTC).isoformat() if body else None,
        "by_source": [],
    }
