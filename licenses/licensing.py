"""The annotation tools' side: trade a `credentials.json` for a premium.lic; validate one online.

A credential is looked up only in the tenant of the request's host. Credentials that do not work
get one answer, INVALID_CREDENTIALS, whatever was wrong, so nothing is told about what exists.
Failures are counted per client address and per identifier in its tenant; past a limit every
request is refused, the right credentials too, before any lookup (the same cost either way)."""

import dataclasses
import functools
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from access.rules import TOOLS, OutsideNetworks
from accounts.models import Tenant
from accounts.requests import limit_unit
from apikeys import grants
from core import usage
from core.db import prepared_cursor
from core.errors import ServiceError
from core.ratelimit import Limits
from licenses import credentials, credstate, methods, services
from licenses.models import USAGE_FETCHES, Credential, License, LicenseFile, LicenseFileBody
from premiumlic import CREDENTIAL_FIELDS as FIELDS
from premiumlic import PORTAL_KEY


class Refusal(ServiceError):
    """An answer other than a file: its HTTP status, title and stable code (the tools' own)."""

    def __init__(self, code: str, detail: str = "", *, retry_after: int | None = None):
        status, title, default_detail = _CODES[code]
        super().__init__(detail or default_detail, code=code, retry_after=retry_after)
        self.status, self.title = status, title


_CODES = {
    "INVALID_CREDENTIALS": (401, "Invalid credentials", "The credentials were not accepted."),
    "NO_PREMIUM_ENTITLEMENT": (
        403,
        "No premium entitlement",
        "A portal API key gives basic sources only; premium sources need a license credential "
        "(DRAGEN serial number, BYOL credentials or a DRAGEN API key).",
    ),
    "LICENSE_REVOKED": (403, "License revoked", "This license was revoked."),
    "LICENSE_SUSPENDED": (403, "License suspended", "This license is suspended; ask its tenant's admins."),
    "LICENSE_EXPIRED": (403, "License expired", "This license's term has ended."),
    "LICENSE_NOT_YET_VALID": (403, "License not yet valid", "This license's term starts later."),
    "MALFORMED_REQUEST": (400, "Malformed request", "Send a JSON object shaped like credentials.json."),
    "RATE_LIMITED": (429, "Too many requests", "Too many requests; try again later."),
    "NETWORK_REFUSED": (403, "Not from this network", "Not accepted from this address."),
}
STATUS_CODES = {
    License.State.REVOKED: "LICENSE_REVOKED",
    License.State.SUSPENDED: "LICENSE_SUSPENDED",
    License.State.EXPIRED: "LICENSE_EXPIRED",
}


def malformed(detail: str) -> Refusal:
    return Refusal("MALFORMED_REQUEST", detail)


@dataclass(frozen=True)
class Presented:
    """The credential that decides: the highest-priority method present in the request."""

    method: str  # a name in licenses.methods, or portal_api_key
    identifier: str
    secret: str = ""

    def account(self, tenant: Tenant | None) -> str | None:
        """What failures are counted against besides the client address: the identifier in this
        tenant, so guesses at one tenant's host never lock out another tenant's instrument.
        (None: a key whose 190 bits nobody guesses.)"""
        entry = methods.METHODS.get(self.method)
        if entry is not None and not entry.by_digest:
            where = tenant.pk if tenant is not None else ""
            return hashlib.sha256(f"{where}:{self.method}:{self.identifier}".encode()).hexdigest()[:32]
        return None


def _encodable(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:  # JSON's "\ud800": a string Python holds, UTF-8 cannot
        return False
    return True


def presented(body) -> Presented:
    """Read a credentials.json-shaped object: any subset of its fields, highest priority decides."""
    if not isinstance(body, dict):
        raise malformed("Send a JSON object shaped like credentials.json.")
    values = {}
    for name in FIELDS:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > 200:
            raise malformed(f"{name} must be a string of at most 200 characters.")
        if "\x00" in value:
            raise malformed(f"{name} contains a NUL character.")
        if not value.isascii() and not _encodable(value):
            raise malformed(f"{name} is not text: it holds a lone UTF-16 surrogate.")
        if value.strip():
            values[name] = value.strip()
    for entry in methods.METHODS.values():  # highest priority first
        given = [values.get(name) for name in entry.fields]
        if any(given):
            if not all(given):
                raise malformed(f"{' and '.join(entry.fields)} go together ({entry.label}).")
            return Presented(entry.name, *given)
    if PORTAL_KEY in values:
        return Presented("portal_api_key", values[PORTAL_KEY])
    raise malformed(f"No credentials: send one of {', '.join(FIELDS)}.")


def limits(ip: str | None, account: str | None) -> Limits:
    """Requests per client address, and failed attempts per address and per presented identifier
    (`Presented.account`). Counted while the credential is looked up; decided before any secret
    is checked."""
    unit = limit_unit(ip)
    return Limits(
        counted=[("licensing-ip", unit)],
        failures=[("licensing-failures-ip", unit), ("licensing-failures-account", account)],
    )


def rate_limited(seconds: int) -> Refusal:
    return Refusal("RATE_LIMITED", f"Try again in {seconds} seconds.", retry_after=seconds)


def premium_license(body, *, tenant: Tenant | None, ip: str | None) -> str:
    """The text of the current premium.lic for the presented credentials, or Refusal."""
    who = presented(body)
    counting = limits(ip, who.account(tenant))
    try:
        counting.check(rate_limited)  # before the lookup: a refusal here costs the same for any identifier
        ident, credential = _lookup(who, tenant)
        if who.method == "portal_api_key":
            _check_portal_key(who, tenant, ip)
        _check(who, credential, tenant)
    except Refusal as refusal:
        if refusal.code == "INVALID_CREDENTIALS":
            counting.failed()
        raise
    return _current_text(ident, credential, ip)


@dataclass(frozen=True)
class Found:
    """What the download needs of a credential, its license and its current file: one query."""

    id: object
    secret_hash: str
    is_enabled: bool
    file_wanted_at: datetime | None
    last_used_at: datetime | None
    license: License  # id, tenant_id, state and term only
    tenant_active: bool
    current_text: str | None
    current_expires_at: datetime | None
    current_bounded: bool


# Written out rather than built by the ORM: on the tools' hot path, compiling the equivalent
# queryset (a filtered join) cost more than running it. Table names are the models' own, values
# go as parameters.
_LOOKUP = f"""
SELECT c.id, c.secret_hash, c.is_enabled, c.file_wanted_at, c.last_used_at,
       l.id, l.tenant_id, l.state, l.starts_at, l.ends_at, t.is_active, b.text, f.expires_at,
       f.bounded
FROM {Credential._meta.db_table} c
JOIN {License._meta.db_table} l ON l.id = c.license_id
JOIN {Tenant._meta.db_table} t ON t.id = l.tenant_id
LEFT JOIN {LicenseFile._meta.db_table} f ON f.credential_id = c.id AND f.superseded_at IS NULL
LEFT JOIN {LicenseFileBody._meta.db_table} b ON b.file_id = f.id
WHERE """  # noqa: S608
_BY_IDENTIFIER = _LOOKUP + "c.tenant_id = %s AND c.method = %s AND c.identifier = %s"
_BY_DIGEST = _LOOKUP + "c.tenant_id = %s AND c.key_digest = %s"
_TENANT_ID = Tenant._meta.pk


def _lookup(who: Presented, tenant: Tenant | None) -> tuple[str | None, Found | None]:
    """The presented credential's identity (None if it cannot exist) and what the download needs
    of it: this process's copy while nothing changed (credstate), else one prepared query. Only
    in the host's tenant: on an operator host (no tenant) no license credential is found."""
    if tenant is None:
        return None, None
    entry = methods.METHODS.get(who.method)
    if entry is None or not entry.well_formed(who.identifier):
        return None, None  # a portal API key; or a malformed key, checked without the database
    value = entry.identity_value(who.identifier)
    tenant_id = _TENANT_ID.get_db_prep_value(tenant.pk, connection)  # a UUID for PostgreSQL, text for SQLite
    query, params = (
        (_BY_DIGEST, [tenant_id, value])
        if entry.by_digest
        else (_BY_IDENTIFIER, [tenant_id, who.method, value])
    )
    ident = credstate.identity(tenant.pk, who.method, value)
    return ident, credstate.read(ident, lambda: _load(query, params))


def _load(query: str, params: list) -> Found | None:
    with prepared_cursor() as cursor:  # planned once per connection: planning cost more than running
        cursor.execute(query, params)
        row = cursor.fetchone()
    if row is None:
        return None
    (credential_id, secret_hash, is_enabled, wanted_at, used_at, license_id, tenant_id, state, starts_at,
     ends_at, tenant_active, text, expires_at, bounded) = row  # fmt: skip
    # Raw values: PostgreSQL gives UUIDs and aware datetimes; SQLite (`make run`) hex and naive UTC.
    license = License(
        id=_uuid(license_id), tenant_id=_uuid(tenant_id), state=state, starts_at=_utc(starts_at),
        ends_at=_utc(ends_at),
    )  # fmt: skip
    return Found(
        _uuid(credential_id), secret_hash, bool(is_enabled), _utc(wanted_at), _utc(used_at), license,
        bool(tenant_active), text, _utc(expires_at), bool(bounded),
    )  # fmt: skip


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _utc(value) -> datetime | None:
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def _check_portal_key(who: Presented, tenant: Tenant | None, ip: str | None) -> None:
    try:
        grants.apikey_holder(key_text=who.identifier, tenant=tenant, ip=ip, area=TOOLS)
    except grants.Refused:
        raise Refusal("INVALID_CREDENTIALS") from None
    except OutsideNetworks as exc:
        raise Refusal("NETWORK_REFUSED", exc.message) from None
    raise Refusal("NO_PREMIUM_ENTITLEMENT")  # a good key: basic access only


def _check(who: Presented, credential: Found | None, tenant: Tenant | None) -> None:
    if who.secret:  # a method presented with a password (BYOL)
        _check_password(who.secret, credential.secret_hash if credential else None)
    if credential is None or not credential.is_enabled or not credential.tenant_active:
        raise Refusal("INVALID_CREDENTIALS")
    license, now = credential.license, timezone.now()
    code = STATUS_CODES.get(license.status_at(now))
    if code is not None:
        raise Refusal(code)
    if license.starts_at > now:
        raise Refusal("LICENSE_NOT_YET_VALID")


@functools.lru_cache(maxsize=4)
def _dummy_hash(hasher) -> str:
    """A hash as the current hasher makes them (its cost included), to check in vain."""
    return make_password(credentials.byol_password(), hasher=hasher)


def _check_password(password: str, encoded: str | None) -> None:
    """A slow hash, checked as long for an unknown user id as for a known one."""
    if encoded is None:
        check_password(password, _dummy_hash(get_hasher()), setter=None)
        raise Refusal("INVALID_CREDENTIALS")
    if not check_password(password, encoded, setter=None):
        raise Refusal("INVALID_CREDENTIALS")


def _current_text(ident: str, credential: Found, ip: str | None) -> str:
    now = timezone.now()
    text = credential.current_text
    if text is None or services.file_is_due(
        wanted_at=credential.file_wanted_at,
        expires_at=credential.current_expires_at,
        bounded=credential.current_bounded,
        license_ends_at=credential.license.ends_at,
        now=now,
    ):
        issued = services.license_file_issue(credential_id=credential.id, now=now)  # never "come back later"
        if issued is None:
            raise Refusal("INVALID_CREDENTIALS")  # disabled or suspended a moment ago
        text = issued.text
    _mark_used(ident, credential, ip, now)
    usage.count(USAGE_FETCHES, credential.id, detail=ip)  # by address: a leaked credential shows
    return text


def _mark_used(ident: str, credential: Found, ip: str | None, now: datetime) -> None:
    """A download that got its file: last use written once a minute per credential across every
    process (`services.credential_use_record`); this process's copy learns of its own write."""
    if credential.last_used_at is not None and now - credential.last_used_at < services.LAST_USE_INTERVAL:
        return
    if services.credential_use_record(credential_id=credential.id, ip=ip, now=now):
        credstate.replace(ident, credential, dataclasses.replace(credential, last_used_at=now))
