"""Reads for ICA's dialect that Portal's own API does not need: people's verified email and
second factor beside their membership, and the event log filtered ICA's way."""

from datetime import datetime

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Q, QuerySet

from accounts import addresses
from accounts.models import Event, Membership, Tenant
from accounts.selectors import members_list
from ica.shapes import WARNING_MARKS


def members(*, tenant: Tenant, email: str = "") -> list[Membership]:
    qs = members_list(tenant=tenant)
    if email:
        qs = qs.filter(user__email=addresses.canonical(email))  # exact, as emails are compared
    return list(qs)


def account_marks(user_ids: list) -> tuple[set, set]:
    """(users with a verified primary address, users with a second factor), in two queries."""
    verified = EmailAddress.objects.filter(user_id__in=user_ids, verified=True, primary=True)
    factors = Authenticator.objects.filter(user_id__in=user_ids).exclude(
        type=Authenticator.Type.RECOVERY_CODES
    )
    return (
        set(verified.values_list("user_id", flat=True)),
        set(factors.values_list("user_id", flat=True)),
    )


# ICA's codeFilterType: how an event's code (Portal's action) is matched
CODE_MATCHES = {"EQUALS": "action", "STARTS_WITH": "action__startswith", "ENDS_WITH": "action__endswith"}


def events(
    *,
    tenant: Tenant,
    code: str = "",
    match: str = "EQUALS",
    category: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Event]:
    """The tenant's events; `code` an action, matched by `match` (CODE_MATCHES), `category` ICA's
    severity: WARN for refused and failed attempts, INFO for the rest (Portal records no ERROR)."""
    qs = Event.objects.filter(tenant=tenant)
    if code:
        qs = qs.filter(**{CODE_MATCHES[match]: code})
    if category:
        warnings = Q()
        for mark in WARNING_MARKS:
            warnings |= Q(action__contains=mark)
        qs = (
            qs.filter(warnings)
            if category == "WARN"
            else qs.exclude(warnings)
            if category == "INFO"
            else qs.none()
        )
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lte=until)
    return qs
