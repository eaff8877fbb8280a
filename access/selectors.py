"""Reads of the access policy: what a proposed network list would have refused lately."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from access.rules import API, PAGES
from access.services import LOGIN
from accounts.models import Event, Tenant
from apikeys.models import USAGE_TOKENS, ApiKey
from core import networks
from core.models import UsageCount

PREVIEW_DAYS = 7
APPLICATION_AREAS = {"browser": PAGES, "api": API}  # a sign-in event's application → its area


@dataclass(frozen=True)
class Preview:
    """Of the last PREVIEW_DAYS days' sign-ins and API key exchanges, how many a list would refuse,
    and from which addresses (the most frequent first)."""

    signins: int = 0
    signins_refused: int = 0
    key_uses: int = 0
    key_uses_refused: int = 0
    addresses: list[tuple[str, int]] = field(default_factory=list)
    days: int = PREVIEW_DAYS


def network_preview(*, tenant: Tenant, allowed: list[str], guarded: dict[str, bool]) -> Preview:
    since = timezone.now() - timedelta(days=PREVIEW_DAYS)
    refused_from: Counter = Counter()
    signins = refused_signins = 0
    logins = Event.objects.filter(tenant=tenant, action=LOGIN, created_at__gte=since)
    for ip, application in logins.values_list("ip", "data__application").iterator():
        signins += 1
        if guarded.get(APPLICATION_AREAS.get(application, PAGES)) and not networks.within(ip, allowed):
            refused_signins += 1
            refused_from[ip or "unknown"] += 1
    uses = refused_uses = 0
    keys = ApiKey.objects.filter(tenant=tenant).values("pk")
    first_day = timezone.now().date() - timedelta(days=PREVIEW_DAYS - 1)  # counts are by day
    exchanges = UsageCount.objects.filter(kind=USAGE_TOKENS, subject__in=keys, day__gte=first_day)
    for ip, n in exchanges.values_list("detail", "count").iterator():
        uses += n
        if guarded.get(API) and not networks.within(ip, allowed):
            refused_uses += n
            refused_from[ip or "unknown"] += n
    return Preview(
        signins=signins, signins_refused=refused_signins, key_uses=uses, key_uses_refused=refused_uses,
        addresses=refused_from.most_common(10),
    )  # fmt: skip
