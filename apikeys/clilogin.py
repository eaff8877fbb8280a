"""`portal login`: the CLI gets a token for someone who signed in in the browser, whichever way
the tenant signs in (a password and second factor, or its identity provider), as RFC 8252
(loopback redirect with PKCE, RFC 7636) and RFC 8628 (device code) have native apps do it.

The browser's part needs a signed-in, active member who says yes on the page; the CLI's part
needs what only the CLI holds: the PKCE verifier, or the device code. Each grant lives minutes
and is redeemed once, for a token with the sign-in's methods (`amr`) and its session's limit."""

import base64
import hashlib
import re
import secrets
from datetime import timedelta

from allauth.account.internal.flows.login import get_authentication_records
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Tenant
from accounts.requests import client_ip
from accounts.services import Actor, event_record
from apikeys import grants, tokens
from apikeys.models import CliGrant
from core.errors import ServiceError

LIFETIME = timedelta(minutes=10)  # from the CLI's start to the person's yes, and to redeeming
CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256, unpadded
USER_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ"  # RFC 8628 §6.1: no vowels, no look-alikes
POLL_SECONDS = 5


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def signed_in_as(request, user) -> tuple[list[str], int]:
    """How this browser session signed in (allauth's records): the methods as `amr`, and when."""
    records = get_authentication_records(request, user)
    methods = {record.get("method") for record in records}
    at = min(
        (int(record["at"]) for record in records if "at" in record), default=int(timezone.now().timestamp())
    )
    if "socialaccount" in methods:
        return [tokens.AMR_SSO], at
    if any(record.get("passwordless") for record in records):  # a passkey, alone
        return [tokens.AMR_HWK, tokens.AMR_MFA], at
    if "mfa" in methods:
        return [tokens.AMR_PASSWORD, tokens.AMR_MFA], at
    return [tokens.AMR_PASSWORD], at


def loopback_approve(*, request, tenant: Tenant, user, port: int, challenge: str, label: str) -> str:
    """The person said yes: a one-time code for the CLI's loopback address."""
    if not 1024 <= port <= 65535 or not CHALLENGE.match(challenge):
        raise ServiceError("This sign-in link is not one the portal CLI makes: start `portal login` again.")
    amr, auth_time = signed_in_as(request, user)
    code = secrets.token_urlsafe(32)
    with transaction.atomic():
        grant = CliGrant.objects.create(
            tenant=tenant, kind=CliGrant.Kind.LOOPBACK, code_digest=_digest(code), challenge=challenge,
            label=label[:100], user=user, amr=amr, auth_time=auth_time, approved_at=timezone.now(),
            expires_at=timezone.now() + LIFETIME,
        )  # fmt: skip
        _event(request, tenant, user, grant)
    return code


def device_start(*, tenant: Tenant, label: str, ip: str | None) -> dict:
    """A device code for a CLI that cannot open a browser: it shows the user code and polls."""
    device_code = secrets.token_urlsafe(32)
    user_code = "-".join("".join(secrets.choice(USER_CODE_LETTERS) for _ in range(4)) for _ in range(2))
    CliGrant.objects.create(
        tenant=tenant, kind=CliGrant.Kind.DEVICE, code_digest=_digest(device_code), user_code=user_code,
        label=label[:100], requested_from=ip, expires_at=timezone.now() + LIFETIME,
    )  # fmt: skip
    return {"device_code": device_code, "user_code": user_code, "expires_in": int(LIFETIME.total_seconds()),
            "interval": POLL_SECONDS}  # fmt: skip


def device_pending(*, tenant: Tenant, user_code: str) -> CliGrant | None:
    """The grant waiting for this user code at this tenant, if any (codes are typed: any case,
    with or without the dash)."""
    typed = re.sub(r"[^A-Z]", "", user_code.upper())
    if len(typed) != 8:
        return None
    return CliGrant.objects.filter(
        tenant=tenant, kind=CliGrant.Kind.DEVICE, user_code=f"{typed[:4]}-{typed[4:]}",
        approved_at__isnull=True, expires_at__gt=timezone.now(),
    ).first()  # fmt: skip


def device_approve(*, request, grant: CliGrant, user) -> None:
    amr, auth_time = signed_in_as(request, user)
    with transaction.atomic():
        updated = CliGrant.objects.filter(
            pk=grant.pk, approved_at__isnull=True, expires_at__gt=timezone.now()
        )
        if not updated.update(user=user, amr=amr, auth_time=auth_time, approved_at=timezone.now()):
            raise ServiceError("That code has expired or was used: start `portal login` again.")
        _event(request, grant.tenant, user, grant)


def redeem(*, tenant: Tenant, code: str = "", verifier: str = "", device_code: str = "") -> grants.Issued:
    """The token for a grant, once: a loopback code with its PKCE verifier, or an approved device
    code. A device code not yet approved raises ServiceError with code `authorization_pending`."""
    now = timezone.now()
    with transaction.atomic():
        digest = _digest(code or device_code)
        grant = CliGrant.objects.select_for_update().filter(code_digest=digest, tenant=tenant).first()
        if grant is None or grant.redeemed_at is not None or grant.expires_at <= now:
            raise ServiceError(
                "Unknown, used or expired code: run `portal login` again.", code="invalid_grant"
            )
        if code and (
            grant.kind != CliGrant.Kind.LOOPBACK
            or not secrets.compare_digest(_challenge(verifier), grant.challenge)
        ):
            raise ServiceError("The code verifier does not match.", code="invalid_grant")
        if device_code and grant.kind != CliGrant.Kind.DEVICE:
            raise ServiceError(
                "Unknown, used or expired code: run `portal login` again.", code="invalid_grant"
            )
        if grant.approved_at is None:
            raise ServiceError(
                "Waiting for the person to enter the code in the browser.", code="authorization_pending"
            )
        grant.redeemed_at = now
        grant.save(update_fields=["redeemed_at"])
    try:
        return grants.token_for_sign_in(
            user_id=grant.user_id, tenant=tenant, amr=grant.amr, auth_time=grant.auth_time
        )
    except grants.Refused as exc:
        raise ServiceError(f"No token: {exc}.", code="invalid_grant") from None


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _event(request, tenant, user, grant: CliGrant) -> None:
    membership = Membership.objects.filter(tenant=tenant, user=user).first()
    by = Actor(user=user, membership=membership, ip=client_ip(request))
    event_record(tenant=tenant, by=by, action="cli.login", target=user, kind=grant.kind, label=grant.label)
