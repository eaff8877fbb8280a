"""Every write to API keys: create, rename and rescope, regenerate, revoke, record use."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Tenant, User, Workgroup, WorkgroupMembership
from accounts.services import Actor, event_record
from apikeys import keys
from apikeys.models import ApiKey
from core import networks
from core.db import record_use
from core.errors import Conflict, Forbidden, ServiceError

ALL = "all"
OVERLAPS = {
    "none": timedelta(0),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}


def apikey_create(
    *,
    tenant: Tenant,
    user: User,
    name: str,
    workgroups: str | Iterable[Workgroup],
    by: Actor,
    expires_at: datetime | None = None,
    within: frozenset[str] | None = None,
    allowed_networks: list[str] | None = None,
    within_networks: tuple[str, ...] | None = None,
) -> tuple[ApiKey, str]:
    """A new key for `user` in `tenant`; returns the row and the key text, which is never kept.
    `within`: the workgroups the caller's own key reaches; a new key may not reach further.
    `allowed_networks`: where it may be used from (none: wherever the tenant allows), inside
    `within_networks`, the caller's own key's networks, if it has any."""
    _require_self(by, user)
    name = _clean_name(name)
    now = timezone.now()
    expires_at = _checked_expiry(tenant, expires_at, now)
    chosen = _checked_scope(tenant, user, workgroups, within)
    allowed_networks = _checked_networks(allowed_networks or [], within_networks)
    with transaction.atomic():
        membership = _lock_owner_slots(tenant, user, now)
        apikey, text = _insert(membership, name, chosen, expires_at, now, allowed_networks)
        data = _scope_data(apikey, chosen) | _networks_data(allowed_networks)
        event_record(tenant=tenant, by=by, action="apikey.create", target=apikey, **data)
    return apikey, text


def apikey_update(
    *,
    apikey: ApiKey,
    by: Actor,
    name: str | None = None,
    workgroups: str | Iterable[Workgroup] | None = None,
    within: frozenset[str] | None = None,
    allowed_networks: list[str] | None = None,
    within_networks: tuple[str, ...] | None = None,
) -> ApiKey:
    """Rename a key or change its scope or networks; tokens minted from it follow at once."""
    _require_self(by, apikey.user)
    _require_usable(apikey)
    changes = {}
    with transaction.atomic():
        if name is not None and _clean_name(name) != apikey.name:
            changes["name"] = apikey.name = _clean_name(name)
        if workgroups is not None:
            chosen = _checked_scope(apikey.tenant, apikey.user, workgroups, within)
            apikey.all_workgroups = chosen is None
            apikey.workgroups.set(chosen or [])
            changes.update(_scope_data(apikey, chosen))
        if allowed_networks is not None:
            allowed_networks = _checked_networks(allowed_networks, within_networks)
            if allowed_networks != apikey.allowed_networks:
                apikey.allowed_networks = allowed_networks
                changes.update(_networks_data(allowed_networks))
        if changes:
            apikey.save(update_fields=["name", "all_workgroups", "allowed_networks"])
            event_record(tenant=apikey.tenant, by=by, action="apikey.update", target=apikey, **changes)
    return apikey


def apikey_revoke(*, apikey: ApiKey, by: Actor) -> bool:
    """The trash icon: the key and every token minted from it stop working on the next request.
    Returns whether this call revoked it (False: it already was)."""
    if not (by.user is not None and by.user.pk == apikey.user_id) and not by.is_tenant_admin(apikey.tenant):
        raise Forbidden("Only the key's owner or a tenant admin can revoke it.")
    with transaction.atomic():
        changed = ApiKey.objects.filter(pk=apikey.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by.user
        )
        apikey.refresh_from_db(fields=["revoked_at", "revoked_by"])
        if changed:
            event_record(
                tenant=apikey.tenant, by=by, action="apikey.revoke", target=apikey, owner=apikey.user.email
            )
    return bool(changed)


def apikey_regenerate(
    *,
    apikey: ApiKey,
    by: Actor,
    overlap: str = "none",
    within: frozenset[str] | None = None,
    within_networks: tuple[str, ...] | None = None,
) -> tuple[ApiKey, str]:
    """A new key with the same name and scope; the old one lives on for the overlap window only,
    and counts against the limit while it does: it still works."""
    _require_self(by, apikey.user)
    if overlap not in OVERLAPS:
        raise ServiceError(f"Unknown overlap {overlap!r}: use one of {', '.join(OVERLAPS)}.")
    tenant, now = apikey.tenant, timezone.now()
    with transaction.atomic():
        replacing = None if OVERLAPS[overlap] else apikey  # revoked at once: its slot is free
        membership = _lock_owner_slots(tenant, apikey.user, now, replacing=replacing)
        old = ApiKey.objects.select_for_update().get(pk=apikey.pk)
        _require_usable(old)
        if old.replaced_by_id is not None:
            raise Conflict("This key was already regenerated; regenerate its replacement instead.")
        chosen = None if old.all_workgroups else list(old.workgroups.all())
        _check_within(chosen, within)
        lifetime = max(old.expires_at - old.created_at, timedelta(days=1))
        new_expiry = min(now + lifetime, now + timedelta(days=tenant.apikey_max_lifetime_days))
        networks_kept = _checked_networks(old.allowed_networks, within_networks)
        new, text = _insert(membership, old.name, chosen, new_expiry, now, networks_kept)
        old.replaced_by = new
        if OVERLAPS[overlap]:
            old.expires_at = min(old.expires_at, now + OVERLAPS[overlap])
        else:
            old.revoked_at, old.revoked_by = now, by.user
        old.save(update_fields=["replaced_by", "expires_at", "revoked_at", "revoked_by"])
        event_record(
            tenant=tenant,
            by=by,
            action="apikey.regenerate",
            target=new,
            replaces=str(old.pk),
            overlap=overlap,
        )
    apikey.refresh_from_db()
    return new, text


def apikeys_revoke_departed(*, tenant: Tenant, by: Actor) -> int:
    """Revoke every live key whose owner is no longer an active member of `tenant`."""
    if not by.is_tenant_admin(tenant):
        raise Forbidden("Only tenant admins can do this.")
    active_members = Membership.objects.filter(tenant=tenant, is_active=True, user__is_active=True)
    departed = ApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True).exclude(
        user_id__in=active_members.values("user_id")
    )
    return sum(apikey_revoke(apikey=apikey, by=by) for apikey in departed.select_related("user", "tenant"))


USE_RECORD_INTERVAL = timedelta(seconds=60)


def apikey_use_record(*, apikey_id: str, ip: str | None) -> bool:
    """A key was used (token exchange, Bearer call): written at most once a minute across every
    web process (core.db.record_use), never through save(), so the auth cache stays."""
    return record_use(ApiKey, apikey_id, ip=ip, now=timezone.now(), every=USE_RECORD_INTERVAL)


def _require_self(by: Actor, user: User) -> None:
    if by.user is None or by.user.pk != user.pk:
        raise Forbidden("You can only manage your own API keys.")
    if by.membership is None or not by.membership.is_active:
        raise Forbidden("Only active members can hold API keys.")


def _require_usable(apikey: ApiKey) -> None:
    if apikey.status != ApiKey.Status.ACTIVE:
        raise Conflict(f"This key is {apikey.status}.", code=f"apikey_{apikey.status}")


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError("Give the key a name, e.g. the pipeline or machine that will use it.")
    if len(name) > 100:
        raise ServiceError("A key name has at most 100 characters.")
    return name


def _checked_expiry(tenant: Tenant, expires_at: datetime | None, now: datetime) -> datetime:
    latest = now + timedelta(days=tenant.apikey_max_lifetime_days)
    if expires_at is None:
        return latest
    if expires_at <= now:
        raise ServiceError("The expiry date must be in the future.", code="invalid_expiry")
    if expires_at > latest + timedelta(minutes=5):
        raise ServiceError(
            f"Keys in {tenant.name} live at most {tenant.apikey_max_lifetime_days} days "
            f"(until {latest:%Y-%m-%d}).",
            code="invalid_expiry",
        )
    return min(expires_at, latest)


def _checked_scope(tenant: Tenant, user: User, workgroups, within=None) -> list[Workgroup] | None:
    """None for "all current and future workgroups", else the chosen ones, each one of the user's."""
    chosen = None if workgroups == ALL else list(workgroups)
    _check_within(chosen, within)
    if chosen is None:
        return None
    if not chosen:
        raise ServiceError("Choose at least one workgroup, or all of them.", code="invalid_scope")
    mine = set(
        WorkgroupMembership.objects.filter(user=user, workgroup__tenant=tenant).values_list(
            "workgroup_id", flat=True
        )
    )
    if any(wg.tenant_id != tenant.pk or wg.pk not in mine for wg in chosen):
        raise ServiceError("A key can only be scoped to workgroups you belong to.", code="invalid_scope")
    return chosen


def _check_within(chosen: list[Workgroup] | None, within: frozenset[str] | None) -> None:
    """A request made with a key limited to some workgroups cannot make a key reaching further."""
    if within is None:
        return
    if chosen is None:
        raise Forbidden("A key limited to some workgroups cannot make a key for all of them.")
    if any(str(wg.pk) not in within for wg in chosen):
        raise Forbidden("A key cannot make a key for workgroups beyond its own scope.")


def _lock_owner_slots(
    tenant: Tenant, user: User, now: datetime, replacing: ApiKey | None = None
) -> Membership:
    """The per-user key limit, held by the database: lock the owner's membership row, then count
    every key that still works, an old one in its regeneration overlap included (`replacing`: a
    key this change revokes at once). Concurrent changes for one user queue on that lock, so the
    count cannot go stale."""
    membership = (
        Membership.objects.select_for_update().filter(tenant=tenant, user=user, is_active=True).first()
    )
    if membership is None:
        raise Forbidden("Only active members can hold API keys.")
    live = ApiKey.objects.filter(membership=membership, revoked_at__isnull=True, expires_at__gt=now)
    if replacing is not None:
        live = live.exclude(pk=replacing.pk)
    limit = settings.APIKEYS_MAX_PER_USER
    if live.count() >= limit:
        overlapping = live.filter(replaced_by__isnull=False).count()
        advice = (
            f" {overlapping} of them {'is an old key' if overlapping == 1 else 'are old keys'} still in "
            "a regeneration overlap: regenerate without an overlap, or revoke one."
            if overlapping
            else " Revoke one you no longer use."
        )
        raise Conflict(
            f"You already have {limit} API keys that work, the most allowed.{advice}", code="apikey_limit"
        )
    return membership


def _checked_networks(entries: list[str], within: tuple[str, ...] | None) -> list[str]:
    """`entries` normalised; a request made with a network-bound key cannot make a key usable
    from further afield (nor from anywhere: no networks)."""
    try:
        entries = networks.normalised(entries)
    except networks.BadNetworks as exc:
        raise ServiceError(str(exc), code="invalid_networks") from None
    if within and not (entries and networks.inside(entries, within)):
        raise Forbidden("A key bound to networks cannot make a key usable outside them.")
    return entries


def _networks_data(allowed: list[str]) -> dict:
    return {"networks": allowed or "anywhere the tenant allows"}


def _insert(membership: Membership, name, chosen, expires_at, now, allowed_networks) -> tuple[ApiKey, str]:
    text = keys.generate()
    apikey = ApiKey.objects.create(
        tenant_id=membership.tenant_id,
        user_id=membership.user_id,
        membership=membership,
        name=name,
        prefix=keys.display_prefix(text),
        digest=keys.digest(text),
        all_workgroups=chosen is None,
        allowed_networks=allowed_networks,
        created_at=now,
        expires_at=expires_at,
    )
    if chosen:
        apikey.workgroups.set(chosen)
    return apikey, text


def _scope_data(apikey: ApiKey, chosen) -> dict:
    return {"workgroups": ALL if chosen is None else sorted(wg.name for wg in chosen)}
