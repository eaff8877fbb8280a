"""Air-gapped activation: a tenant admin brings a disconnected server's request (premiumreq) to
the license page or the API, sees what it asks for, and takes its premium.lic back on a stick.

The challenge a request proves a secret with is chosen here: a code per license and UTC day,
derived from SECRET_KEY (nothing stored), accepted on its day and the next. A request without a
proof (a serial number, or no challenge typed in) is issued only when the admin confirms it."""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

import premiumreq
from accounts.services import Actor, event_record
from core.errors import Conflict, Forbidden, ServiceError
from licenses.models import Credential, License, LicenseFile

from .files import license_file_issue
from .guards import require_admin

CHALLENGE_DAYS = 2  # a challenge shown today is accepted today and tomorrow (UTC)
CLOCK_WARNING = 300  # seconds the offline server's clock may differ before the page says so


@dataclass(frozen=True)
class Activation:
    credential: Credential
    request: dict
    proven: bool  # by the challenge; otherwise the admin must confirm
    clock_offset: int  # the offline server's clock minus ours, in seconds, when it wrote the request

    @property
    def clock_off(self) -> str:
        """How far its clock was from ours, when more than CLOCK_WARNING: "2 h 5 min behind"."""
        offset = abs(self.clock_offset)
        if offset <= CLOCK_WARNING:
            return ""
        hours, minutes = divmod(offset // 60, 60)
        days, hours = divmod(hours, 24)
        parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if n]
        return f"{' '.join(parts)} {'behind' if self.clock_offset < 0 else 'ahead of'}"

    def described(self) -> dict:
        return {
            "credential_id": str(self.credential.pk),
            "method": self.credential.method,
            "credential": self.credential.shown,
            "proof": "challenge" if self.proven else "confirmation",
            "host": self.request["host"],
            "tool": self.request["tool"],
            "clock_offset_seconds": self.clock_offset,
        }


def activation_challenge(license: License, *, now: datetime | None = None) -> tuple[str, datetime]:
    """Today's code for `license` (shown to its admins) and until when it is accepted."""
    day = (now or timezone.now()).astimezone(UTC).date()
    until = datetime.combine(day + timedelta(days=CHALLENGE_DAYS), datetime.min.time(), tzinfo=UTC)
    code = _code(license, day.isoformat())
    return "-".join(code[n : n + 4] for n in range(0, len(code), 4)), until


def activation_text(data: str | bytes) -> str:
    """An uploaded request's text (UTF-8, any byte-order mark dropped), or ServiceError."""
    try:
        return premiumreq.text_of(data)
    except premiumreq.InvalidRequest as exc:
        raise ServiceError(f"This is not an activation request ({exc}).", code="invalid_request") from None


def activation_read(
    *, license: License, by: Actor, text: str | bytes, now: datetime | None = None
) -> Activation:
    """What a request asks for, or ServiceError saying why it cannot be issued."""
    require_admin(by, license.tenant)
    now = now or timezone.now()
    try:
        request = premiumreq.loads(text)
    except premiumreq.InvalidRequest as exc:
        raise ServiceError(f"This is not an activation request ({exc}).", code="invalid_request") from None
    credential, proven = _credential(license, request, now)
    if not credential.is_enabled:
        raise Conflict(f"The credential {credential.shown} is disabled: enable it first.", code="disabled")
    return Activation(credential, request, proven, request["clock"] - int(now.timestamp()))


def activation_issue(*, license: License, by: Actor, text: str | bytes, confirmed: bool = False,
                     now: datetime | None = None) -> tuple[Activation, LicenseFile]:  # fmt: skip
    """The premium.lic a request asks for, audited; unproven requests need `confirmed`. Every
    refusal but a question (`confirmation_required`) is audited too."""
    try:
        activation = activation_read(license=license, by=by, text=text, now=now)
        if not activation.proven and not confirmed:
            raise ServiceError(
                "Nothing in this request proves it comes from the server holding the credential: confirm it.",
                code="confirmation_required",
            )
        file = license_file_issue(credential_id=activation.credential.pk, now=now)
        if file is None:
            state = License.objects.get(pk=license.pk).get_state_display().lower()
            raise Conflict(f"The license is {state}: no file is issued.", code="inactive")
    except ServiceError as refusal:
        _audit_refusal(license, by, refusal)
        raise
    event_record(tenant=license.tenant, by=by, action="license.activation", target=license,
                 **activation.described(), file_id=str(file.pk))  # fmt: skip
    return activation, file


def _credential(license: License, request: dict, now: datetime) -> tuple[Credential, bool]:
    """The license's credential the request names, and whether its proof holds."""
    method = request["method"]
    mine = license.credentials.filter(method=method)
    if method == "dragen_api_key":  # named by its first characters: the proof tells keys apart
        candidates = list(mine.filter(key_prefix=request["identifier"]))
    else:
        candidates = list(mine.filter(identifier=request["identifier"]))
    if not candidates:
        raise ServiceError(
            f"This license has no {method.replace('_', ' ')} credential {request['identifier']!r}.",
            code="unknown_credential",
        )
    if "proof" not in request:
        if len(candidates) > 1:
            raise ServiceError(
                "Several keys on this license start alike: write the request again with the challenge.",
                code="ambiguous_credential",
            )
        return candidates[0], False
    if request["challenge"] not in _codes(license, now):
        raise ServiceError(
            "The request's challenge is not this license's (or is older than yesterday's): write the "
            "request again with the challenge shown now.",
            code="stale_challenge",
        )
    for credential in candidates:
        digest = credential.key_digest or credential.secret_digest
        if digest and premiumreq.proves(request, digest):
            return credential, True
    raise ServiceError("The request's proof does not match the credential's secret.", code="wrong_proof")


def _codes(license: License, now: datetime) -> set[str]:
    today = now.astimezone(UTC).date()
    return {_code(license, (today - timedelta(days=n)).isoformat()) for n in range(CHALLENGE_DAYS)}


def _code(license: License, day: str) -> str:
    mac = salted_hmac("portal.licenses.activation", f"{license.pk}:{day}", algorithm="sha256").digest()
    return base64.b32encode(mac).decode()[:16]  # 80 bits, typed in as four groups of four


def _audit_refusal(license: License, by: Actor, refusal: ServiceError) -> None:
    """Refused requests are audited too (in a transaction of their own: the refusal rolls back)."""
    if isinstance(refusal, Forbidden) or refusal.code == "confirmation_required":
        return  # not the license's admin (nothing was shown), or a question for the admin
    with transaction.atomic():
        event_record(tenant=license.tenant, by=by, action="license.activation_refused", target=license,
                     code=refusal.code, reason=refusal.message)  # fmt: skip
