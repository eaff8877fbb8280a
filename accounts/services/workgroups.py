from django.db import IntegrityError, transaction

from accounts.models import Membership, Role, Tenant, User, Workgroup, WorkgroupMembership
from core.errors import Conflict, ServiceError

from .audit import Actor, event_record
from .guards import check_role, require_tenant_admin, require_workgroup_manager


def workgroup_create(*, tenant: Tenant, name: str, by: Actor) -> Workgroup:
    require_tenant_admin(by, tenant)
    name = _clean_name(name)
    try:
        with transaction.atomic():
            workgroup = Workgroup.objects.create(tenant=tenant, name=name)
            event_record(tenant=tenant, by=by, action="workgroup.create", target=workgroup)
    except IntegrityError:
        raise Conflict(f"A workgroup named {name!r} already exists.") from None
    return workgroup


def workgroup_rename(*, workgroup: Workgroup, name: str, by: Actor) -> Workgroup:
    require_tenant_admin(by, workgroup.tenant)
    name = _clean_name(name)
    if name == workgroup.name:
        return workgroup
    old = workgroup.name
    try:
        with transaction.atomic():
            workgroup.name = name
            workgroup.save(update_fields=["name"])
            event_record(
                tenant=workgroup.tenant, by=by, action="workgroup.rename", target=workgroup, old_name=old
            )
    except IntegrityError:
        workgroup.name = old
        raise Conflict(f"A workgroup named {name!r} already exists.") from None
    return workgroup


def workgroup_delete(*, workgroup: Workgroup, by: Actor) -> None:
    require_tenant_admin(by, workgroup.tenant)
    with transaction.atomic():
        event_record(tenant=workgroup.tenant, by=by, action="workgroup.delete", target=workgroup)
        workgroup.delete()


def workgroup_member_add(
    *, workgroup: Workgroup, user: User, by: Actor, role: str = Role.MEMBER
) -> WorkgroupMembership:
    require_workgroup_manager(by, workgroup)
    check_role(role)
    is_member = Membership.objects.filter(tenant_id=workgroup.tenant_id, user=user, is_active=True).exists()
    if not is_member:
        raise ServiceError(f"{user.email} is not an active member of this tenant.")
    try:
        with transaction.atomic():
            wgm = WorkgroupMembership.objects.create(workgroup=workgroup, user=user, role=role)
            event_record(
                tenant=workgroup.tenant,
                by=by,
                action="workgroup.member_add",
                target=workgroup,
                user=user.email,
                role=role,
            )
    except IntegrityError:
        raise Conflict(f"{user.email} is already in {workgroup.name}.") from None
    return wgm


def workgroup_member_update(*, wgm: WorkgroupMembership, role: str, by: Actor) -> WorkgroupMembership:
    workgroup = wgm.workgroup
    require_workgroup_manager(by, workgroup)
    check_role(role)
    if role == wgm.role:
        return wgm
    with transaction.atomic():
        wgm.role = role
        wgm.save(update_fields=["role"])
        event_record(
            tenant=workgroup.tenant,
            by=by,
            action="workgroup.member_role",
            target=workgroup,
            user=wgm.user.email,
            role=role,
        )
    return wgm


def workgroup_member_remove(*, wgm: WorkgroupMembership, by: Actor) -> None:
    workgroup = wgm.workgroup
    require_workgroup_manager(by, workgroup)
    with transaction.atomic():
        event_record(
            tenant=workgroup.tenant,
            by=by,
            action="workgroup.member_remove",
            target=workgroup,
            user=wgm.user.email,
        )
        wgm.delete()


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ServiceError("A workgroup needs a name.")
    if len(name) > 100:
        raise ServiceError("A workgroup name has at most 100 characters.")
    return name
