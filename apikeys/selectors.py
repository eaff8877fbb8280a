"""Reads of API keys. Every lookup by id also filters by the request's tenant, in one query."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.dashboard import Figure, Panel
from accounts.models import Membership, Tenant
from apikeys.models import ROTATION_DUE_AFTER, USAGE_REQUESTS, USAGE_TOKENS, ApiKey
from core import usage

SHOW_ENDED_FOR = timedelta(days=30)  # revoked and expired keys stay listed this long


@dataclass(frozen=True)
class KeyOwner:
    apikey_id: str
    user_id: str
    tenant_id: str


_owners: dict[str, KeyOwner] = {}


def apikey_owner(digest: str) -> KeyOwner | None:
    """The key, user and tenant a key's digest belongs to: one indexed query the first time in
    this process, then memory. A digest's owner never changes (a regenerated key is a new row with
    a new digest); whether the key still works is the auth snapshot's answer, read on every use."""
    owner = _owners.get(digest)
    if owner is None:
        row = ApiKey.objects.filter(digest=digest).values_list("id", "user_id", "tenant_id").first()
        if row is None:
            return None  # unknown digests are not remembered: guesses must not fill memory
        owner = KeyOwner(*(str(value) for value in row))
        if len(_owners) >= 10_000:
            _owners.clear()
        _owners[digest] = owner
    return owner


# The keys page's sort orders; last use puts keys never used last.
SORTS = {
    "created": ("Newest first", [F("created_at").desc()]),
    "name": ("Name", [Lower("name"), F("created_at").desc()]),
    "used": ("Last used", [F("last_used_at").desc(nulls_last=True), F("created_at").desc()]),
}


def apikeys_of(
    *, tenant: Tenant, user, include_ended: bool = True, status: str = "", sort: str = "created"
) -> QuerySet[ApiKey]:
    """One member's keys: those that work and those ended lately; `status` keeps one
    `ApiKey.Status` only, `sort` is a name in SORTS."""
    qs = _recent(ApiKey.objects.filter(tenant=tenant, user=user), include_ended)
    now = timezone.now()
    if status == ApiKey.Status.ACTIVE:
        qs = qs.filter(revoked_at__isnull=True, expires_at__gt=now)
    elif status == ApiKey.Status.REVOKED:
        qs = qs.filter(revoked_at__isnull=False)
    elif status == ApiKey.Status.EXPIRED:
        qs = qs.filter(revoked_at__isnull=True, expires_at__lte=now)
    return _with_scope(qs).order_by(*SORTS.get(sort, SORTS["created"])[1])


def key_usage(apikeys) -> list[tuple[ApiKey, dict]]:
    """Each key with its chart of the last 30 days: requests and token exchanges (two queries)."""
    ids = [apikey.pk for apikey in apikeys]
    requests, exchanges = (usage.series(kind, ids) for kind in (USAGE_REQUESTS, USAGE_TOKENS))
    return [
        (
            apikey,
            usage.chart(
                f"usage-{apikey.pk}",
                {"Requests": requests[str(apikey.pk)], "Token exchanges": exchanges[str(apikey.pk)]},
            ),
        )
        for apikey in apikeys
    ]


def dashboard_panel(tenant: Tenant) -> Panel:
    """The tenant home's figures of keys, and every key's requests and exchanges by day."""
    now = timezone.now()
    live = ApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True, expires_at__gt=now)
    due = live.filter(created_at__lte=now - ROTATION_DUE_AFTER).count()
    keys = ApiKey.objects.filter(tenant=tenant).values("pk")
    inventory = reverse("apikey_inventory")
    return Panel(
        figures=[
            Figure("Active API keys", live.count(), inventory),
            Figure("Keys due for rotation", due, inventory, hint="a year old in a month", attention=due > 0),
        ],
        series={
            "API requests": usage.summed(USAGE_REQUESTS, keys),
            "Token exchanges": usage.summed(USAGE_TOKENS, keys),
        },
    )


def live_key_count(*, tenant: Tenant, user) -> int:
    """Keys that still work, an old one in its regeneration overlap included: what the limit counts."""
    return ApiKey.objects.filter(
        tenant=tenant, user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).count()


def tenant_apikeys(*, tenant: Tenant, include_ended: bool = False) -> QuerySet[ApiKey]:
    qs = ApiKey.objects.filter(tenant=tenant).select_related("user")
    return _with_scope(_recent(qs, include_ended)).order_by("user__email", "-created_at")


def get_apikey_for_request(request: HttpRequest, apikey_id) -> ApiKey:
    """One of the caller's own keys at this tenant."""
    apikey = (
        _with_scope(ApiKey.objects.select_related("tenant", "user"))
        .filter(pk=apikey_id, tenant=request.tenant, user_id=request.user.pk)
        .first()
    )
    if apikey is None:
        raise Http404("No such API key.")
    return apikey


def get_tenant_apikey_for_request(request: HttpRequest, apikey_id) -> ApiKey:
    """Any key at this tenant (tenant admins)."""
    apikey = (
        _with_scope(ApiKey.objects.select_related("tenant", "user"))
        .filter(pk=apikey_id, tenant=request.tenant)
        .first()
    )
    if apikey is None:
        raise Http404("No such API key.")
    return apikey


def departed_key_count(*, tenant: Tenant) -> int:
    active = Membership.objects.filter(tenant=tenant, is_active=True, user__is_active=True)
    return (
        ApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True, expires_at__gt=timezone.now())
        .exclude(user_id__in=active.values("user_id"))
        .count()
    )


def _recent(qs: QuerySet[ApiKey], include_ended: bool) -> QuerySet[ApiKey]:
    now = timezone.now()
    live = Q(revoked_at__isnull=True, expires_at__gt=now)
    if not include_ended:
        return qs.filter(live)
    since = now - SHOW_ENDED_FOR
    return qs.filter(live | Q(revoked_at__gte=since) | Q(revoked_at__isnull=True, expires_at__gte=since))


def _with_scope(qs: QuerySet[ApiKey]) -> QuerySet[ApiKey]:
    return qs.prefetch_related("workgroups")
