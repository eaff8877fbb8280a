"""The people a tenant's identity provider signs in: accounts made just in time, their workgroups
from the provider's groups, and the events of each sign-in."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role, Tenant, User, Workgroup, WorkgroupMembership
from accounts.requests import client_ip
from accounts.services import (
    Actor,
    event_record,
    member_join,
    workgroup_member_add,
    workgroup_member_remove,
)
from sso.models import SignIn


def sso_member_join(*, tenant: Tenant, user: User, signin: SignIn, created: bool) -> Membership | None:
    """The account the tenant's identity provider just made (just-in-time) becomes a member. Only
    then: someone a tenant admin removed later is not made a member again by signing in."""
    membership = Membership.objects.filter(tenant=tenant, user=user).first()
    if membership is not None:
        return membership
    by = Actor(user=user)
    with transaction.atomic():
        membership = member_join(tenant=tenant, user=user, by=by, role=Role.MEMBER, via="sso")
        if created:
            event_record(
                tenant=tenant, by=by, action="sso.account_create", target=user, issuer=signin.idp_name
            )
    return membership


def sso_sign_in_record(sender, request, user, sociallogin=None, **kwargs) -> None:
    """allauth's user_logged_in: a sign-in through the tenant's identity provider is an event (and
    shows the configuration works); so is a break-glass admin's password sign-in in SSO-only mode."""
    tenant = getattr(request, "tenant", None)
    signin = SignIn.objects.filter(tenant=tenant).first() if tenant is not None else None
    if signin is None:
        return
    membership = Membership.objects.filter(tenant=tenant, user=user).first()
    by = Actor(user=user, membership=membership, ip=client_ip(request))
    if sociallogin is not None and sociallogin.account.provider == signin.provider_id:
        SignIn.objects.filter(pk=signin.pk, worked_at__isnull=True).update(worked_at=timezone.now())
        event_record(tenant=tenant, by=by, action="sso.sign_in", target=user, issuer=signin.idp_name)
        if signin.group_map and membership is not None and membership.is_active:
            sso_groups_apply(
                signin=signin, user=user, groups=groups_of(signin, sociallogin.account.extra_data)
            )
    elif sociallogin is None and signin.sso_only:
        event_record(tenant=tenant, by=by, action="sso.break_glass", target=user)


def groups_of(signin: SignIn, extra_data: dict) -> list[str]:
    """The groups the provider says this person is in: a SAML attribute's values, or an OpenID
    Connect claim (a list, or one string) from userinfo or else the ID token, as allauth keeps them."""
    name = signin.claims.get("groups") or "groups"
    if signin.protocol == SignIn.Protocol.OIDC:
        extra_data = extra_data.get("userinfo") or extra_data.get("id_token") or extra_data
    value = extra_data.get(name) if isinstance(extra_data, dict) else None
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value] if isinstance(value, list) else []


def sso_groups_apply(*, signin: SignIn, user: User, groups: list[str]) -> None:
    """At every sign-in: in each mapped workgroup exactly while in a group mapped to it. Workgroups
    no mapping names are the tenant admins' to manage, and stay as they are."""
    mapped = {entry["workgroup"] for entry in signin.group_map}
    wanted = {entry["workgroup"] for entry in signin.group_map if entry["group"] in set(groups)}
    workgroups = {str(w.pk): w for w in Workgroup.objects.filter(tenant=signin.tenant, pk__in=mapped)}
    held = {
        str(m.workgroup_id): m
        for m in WorkgroupMembership.objects.filter(user=user, workgroup__in=workgroups.values())
    }
    system = Actor.system_actor()
    added, removed = [], []
    with transaction.atomic():
        for key, workgroup in workgroups.items():
            if key in wanted and key not in held:
                workgroup_member_add(workgroup=workgroup, user=user, by=system)
                added.append(workgroup.name)
            elif key not in wanted and key in held:
                workgroup_member_remove(wgm=held[key], by=system)
                removed.append(workgroup.name)
        if added or removed:
            event_record(tenant=signin.tenant, by=system, action="sso.groups", target=user,
                         groups=sorted(groups), added=sorted(added), removed=sorted(removed))  # fmt: skip
