import unicodedata
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role, Tenant, User, WorkgroupMembership
from core.errors import Conflict

from .audit import Actor, event_record
from .guards import check_role, require_tenant_admin


def member_join(*, tenant: Tenant, user: User, by: Actor, role: str = Role.MEMBER, via: str) -> Membership:
    """Make `user` a member of `tenant` (signup, invitation, self-join); reactivates nobody."""
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            tenant=tenant, user=user, defaults={"role": role}
        )
        if not created:
            if not membership.is_active:
                raise Conflict(f"Your membership of {tenant.name} is deactivated; ask a tenant admin.")
            return membership
        event_record(tenant=tenant, by=by, action="member.join", target=membership, role=role, via=via)
    return membership


def member_update(
    *, membership: Membership, by: Actor, role: str | None = None, is_active: bool | None = None
) -> Membership:
    """Change a member's tenant role or active flag; the last active tenant admin stays."""
    tenant = membership.tenant
    require_tenant_admin(by, tenant)
    if role is not None:
        check_role(role)
    changes = {}
    if role is not None and role != membership.role:
        changes["role"] = role
    if is_active is not None and is_active != membership.is_active:
        changes["is_active"] = is_active
    if not changes:
        return membership
    with transaction.atomic():
        if membership.is_admin and (changes.get("role") == Role.MEMBER or changes.get("is_active") is False):
            _keep_an_admin(tenant, losing=membership.user_id)
        for field, value in changes.items():
            setattr(membership, field, value)
        if changes.get("is_active") is False:
            tokens_end(membership)
        membership.save(update_fields=[*changes, "tokens_valid_from"])
        for field, value in changes.items():
            event_record(tenant=tenant, by=by, action=_ACTIONS[field, value], target=membership)
    return membership


def tokens_end(membership: Membership) -> None:
    """Every token minted so far for this membership dies for good, also once the member is
    reactivated: from the next whole second, as a token's `iat` is in whole seconds. (Sets the
    field; the caller saves it, beside the deactivation.)"""
    membership.tokens_valid_from = timezone.now().replace(microsecond=0) + timedelta(seconds=1)


_ACTIONS = {
    ("role", Role.ADMIN): "member.make_admin",
    ("role", Role.MEMBER): "member.remove_admin",
    ("is_active", True): "member.reactivate",
    ("is_active", False): "member.deactivate",
}


def member_remove(*, membership: Membership, by: Actor) -> None:
    """Remove a member from the tenant and from all its workgroups. Their API keys here go with
    the membership (deleted by the database's cascade, whatever path removes it), so joining again
    never brings an old key back; their tokens die with it (`tokens_valid_from`)."""
    tenant = membership.tenant
    require_tenant_admin(by, tenant)
    with transaction.atomic():
        if membership.is_admin:
            _keep_an_admin(tenant, losing=membership.user_id)
        WorkgroupMembership.objects.filter(workgroup__tenant=tenant, user_id=membership.user_id).delete()
        event_record(tenant=tenant, by=by, action="member.remove", target=membership)
        membership.delete()


def _keep_an_admin(tenant: Tenant, *, losing) -> None:
    # Lock the tenant row so two admins demoting each other at once cannot both succeed.
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    others = Membership.objects.filter(
        tenant=tenant, role=Role.ADMIN, is_active=True, user__is_active=True
    ).exclude(user_id=losing)
    if not others.exists():
        raise Conflict(
            f"{tenant.name} must keep at least one active tenant admin: make someone else admin first.",
            code="last_admin",
        )


def user_set_name(*, user: User, full_name: str, tenant: Tenant, by: Actor) -> User:
    """A person's own name, as Users, workgroups and pickers show it beside their email; recorded
    in the event log of the tenant where they changed it."""
    if by.user is None or by.user.pk != user.pk:
        raise Conflict("Only you can change your name.")
    full_name = clean_name(full_name)
    if len(full_name) > 200:
        raise Conflict("A name has at most 200 characters.")
    if full_name != user.full_name:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(full_name=full_name)
            user.full_name = full_name
            event_record(tenant=tenant, by=by, action="user.rename", target=user, full_name=full_name)
    return user


def clean_name(full_name: str) -> str:
    """A name as shown beside an email: no invisible or format characters (bidi overrides, zero
    widths, blank braille), so it cannot push the email out of view or pass for someone else's;
    runs of white space as one space."""
    return " ".join("".join(c for c in full_name if _shown(c)).split())


def _shown(character: str) -> bool:
    return unicodedata.category(character) not in ("Cc", "Cf", "Co", "Cn", "Cs") and character != "\u2800"
