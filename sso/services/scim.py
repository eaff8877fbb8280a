"""Writes of SCIM provisioning: the tenant's SCIM tokens, and the members and workgroups a SCIM
client makes, changes and removes (through accounts' own services, so every rule of theirs holds:
the last admin stays, a removed member's keys go, a deactivated one's tokens die)."""

import hashlib
import hmac
import secrets
import uuid

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts import addresses
from accounts.models import Membership, Tenant, User, Workgroup, WorkgroupMembership
from accounts.services import (
    Actor,
    clean_name,
    event_record,
    member_join,
    member_remove,
    member_update,
    workgroup_create,
    workgroup_delete,
    workgroup_member_add,
    workgroup_member_remove,
    workgroup_rename,
)
from accounts.services.guards import require_tenant_admin
from core.errors import Conflict, ServiceError
from sso.models import ScimGroup, ScimToken, ScimUser, SignIn

TOKEN_PREFIX = "scim_"  # noqa: S105 (a prefix, not a secret)


def scim_token_create(*, tenant: Tenant, name: str, by: Actor) -> tuple[ScimToken, str]:
    """A new token, and its whole text: shown once, never stored."""
    require_tenant_admin(by, tenant)
    name = " ".join(name.split())[:100]
    if not name:
        raise ServiceError("Name the token after the identity provider that will use it.")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    text = f"{TOKEN_PREFIX}{prefix}_{secret}"
    with transaction.atomic():
        token = ScimToken.objects.create(tenant=tenant, name=name, prefix=prefix, digest=_digest(text),
                                         created_by=by.user)  # fmt: skip
        event_record(tenant=tenant, by=by, action="scim.token_create", target=token, name=name, prefix=prefix)
    return token, text


def scim_token_revoke(*, token: ScimToken, by: Actor) -> None:
    require_tenant_admin(by, token.tenant)
    if token.revoked_at is not None:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        event_record(tenant=token.tenant, by=by, action="scim.token_revoke", target=token, name=token.name)


def scim_token_check(*, tenant: Tenant, text: str) -> ScimToken | None:
    """The tenant's live token this text is, or None (another tenant's, revoked, or no token)."""
    if not text.startswith(TOKEN_PREFIX):
        return None
    prefix = text[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ScimToken.objects.filter(prefix=prefix, tenant=tenant, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(text)):
        return None
    if token.last_used_at is None or (timezone.now() - token.last_used_at).total_seconds() > 60:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _by(token: ScimToken) -> Actor:
    return Actor.system_actor()  # events name the token (scim_token=…)


def scim_user_create(
    *, token: ScimToken, email: str, external_id: str, attributes: dict, active: bool
) -> Membership:
    """A member from a SCIM client: their account made (or found) and joined to the tenant. Only
    for addresses in the tenant's verified domains, as for its identity provider's sign-ins:
    accounts are global, and one tenant's client must not make another organisation's."""
    tenant = token.tenant
    email = addresses.canonical(email)
    signin = SignIn.objects.filter(tenant=tenant).first()
    if addresses.problem(email) or signin is None or not signin.domain_verified(email):
        raise ServiceError(f"userName must be an email address in a domain verified as {tenant.name}'s.")
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        created = user is None
        if created:
            user = User.objects.create_user(email, password=None)
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        if Membership.objects.filter(tenant=tenant, user=user).exists():
            raise Conflict(f"{email} is a member already.", code="uniqueness")
        membership = member_join(tenant=tenant, user=user, by=_by(token), via="scim")
        ScimUser.objects.create(membership=membership, external_id=external_id, attributes=attributes)
        _name(user, attributes, token)
        event_record(tenant=tenant, by=_by(token), action="scim.user_create", target=membership,
                     scim_token=token.name, account_created=created)  # fmt: skip
        if not active:
            membership = member_update(membership=membership, by=_by(token), is_active=False)
    return membership


def scim_user_update(*, token: ScimToken, membership: Membership, external_id: str, attributes: dict,
                     active: bool) -> Membership:  # fmt: skip
    """Replace what the client keeps of a member; `active: false` deactivates them (sessions, keys
    and tokens stop at their next request); true, or no `active` at all (as at creation),
    reactivates them."""
    with transaction.atomic():
        scim, _ = ScimUser.objects.select_for_update().get_or_create(membership=membership)
        changed = [n for n, v in (("externalId", external_id), ("attributes", attributes))
                   if getattr(scim, "external_id" if n == "externalId" else n) != v]  # fmt: skip
        scim.external_id, scim.attributes, scim.updated_at = external_id, attributes, timezone.now()
        scim.save()
        _name(membership.user, attributes, token)
        if active != membership.is_active:
            membership = member_update(membership=membership, by=_by(token), is_active=active)
            changed.append("active")
        if changed:
            event_record(tenant=token.tenant, by=_by(token), action="scim.user_update", target=membership,
                         scim_token=token.name, changed=changed)  # fmt: skip
    return membership


def scim_user_delete(*, token: ScimToken, membership: Membership) -> None:
    """The member leaves the tenant (their keys here go, their tokens die); the account stays."""
    with transaction.atomic():
        event_record(tenant=token.tenant, by=_by(token), action="scim.user_delete", target=membership,
                     scim_token=token.name)  # fmt: skip
        member_remove(membership=membership, by=_by(token))


def _name(user: User, attributes: dict, token: ScimToken) -> None:
    """The account's name, from what the client says, where the account is the tenant's to name:
    its address in a domain verified as the tenant's. Another organisation's account keeps its
    name (the client reads its own words back from ScimUser.attributes)."""
    name = attributes.get("name") or {}
    full = name.get("formatted") or " ".join(filter(None, [name.get("givenName"), name.get("familyName")]))
    full = clean_name(full or attributes.get("displayName") or "")[:200]
    signin = SignIn.objects.filter(tenant=token.tenant).first()
    if not full or full == user.full_name or signin is None or not signin.domain_verified(user.email):
        return
    User.objects.filter(pk=user.pk).update(full_name=full)
    user.full_name = full
    event_record(tenant=token.tenant, by=_by(token), action="user.rename", target=user, full_name=full,
                 scim_token=token.name)  # fmt: skip


def scim_group_create(*, token: ScimToken, name: str, external_id: str, members: list[str]) -> Workgroup:
    with transaction.atomic():
        workgroup = workgroup_create(tenant=token.tenant, name=name, by=_by(token))
        ScimGroup.objects.create(workgroup=workgroup, external_id=external_id)
        _members_set(token, workgroup, members)
        event_record(tenant=token.tenant, by=_by(token), action="scim.group_create", target=workgroup,
                     scim_token=token.name)  # fmt: skip
    return workgroup


def scim_group_update(*, token: ScimToken, workgroup: Workgroup, name: str, external_id: str,
                      members: list[str]) -> Workgroup:  # fmt: skip
    with transaction.atomic():
        workgroup = workgroup_rename(workgroup=workgroup, name=name, by=_by(token))
        scim, _ = ScimGroup.objects.select_for_update().get_or_create(workgroup=workgroup)
        scim.external_id, scim.updated_at = external_id, timezone.now()
        scim.save()
        added, removed = _members_set(token, workgroup, members)
        event_record(tenant=token.tenant, by=_by(token), action="scim.group_update", target=workgroup,
                     scim_token=token.name, added=added, removed=removed)  # fmt: skip
    return workgroup


def scim_group_delete(*, token: ScimToken, workgroup: Workgroup) -> None:
    with transaction.atomic():
        event_record(tenant=token.tenant, by=_by(token), action="scim.group_delete", target=workgroup,
                     scim_token=token.name)  # fmt: skip
        workgroup_delete(workgroup=workgroup, by=_by(token))


def _members_set(token: ScimToken, workgroup: Workgroup, user_ids: list[str]) -> tuple[list[str], list[str]]:
    """The workgroup's members become exactly these Users (the tenant's members, by SCIM id)."""
    wanted = {}
    for user_id in dict.fromkeys(user_ids):
        membership = Membership.objects.filter(tenant=token.tenant, user_id=_uuid(user_id)).select_related(
            "user"
        )
        if not membership.exists():
            raise ServiceError(f"No User {user_id} here.")
        wanted[str(membership[0].user_id)] = membership[0].user
    held = {
        str(m.user_id): m
        for m in WorkgroupMembership.objects.filter(workgroup=workgroup).select_related("user")
    }
    added, removed = [], []
    for user_id, user in wanted.items():
        if user_id not in held:
            workgroup_member_add(workgroup=workgroup, user=user, by=_by(token))
            added.append(user.email)
    for user_id, wgm in held.items():
        if user_id not in wanted:
            workgroup_member_remove(wgm=wgm, by=_by(token))
            removed.append(wgm.user.email)
    return added, removed


def _uuid(text: str):
    try:
        return uuid.UUID(str(text))
    except ValueError:
        raise ServiceError(f"No User {text} here.") from None
