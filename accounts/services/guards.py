from accounts.models import Role, Tenant, Workgroup, WorkgroupMembership
from core.errors import Forbidden, ServiceError

from .audit import Actor


def require_tenant_admin(by: Actor, tenant: Tenant) -> None:
    if not by.is_tenant_admin(tenant):
        raise Forbidden("Only tenant admins can do this.")


def require_workgroup_manager(by: Actor, workgroup: Workgroup) -> None:
    """Tenant admins manage every workgroup; a workgroup admin manages only their own."""
    if by.is_tenant_admin(workgroup.tenant):
        return
    if by.user is None or by.membership is None or not by.membership.is_active:
        raise Forbidden("Only admins of this workgroup can do this.")
    is_wg_admin = WorkgroupMembership.objects.filter(
        workgroup=workgroup, user=by.user, role=Role.ADMIN
    ).exists()
    if not is_wg_admin or by.membership.tenant_id != workgroup.tenant_id:
        raise Forbidden("Only admins of this workgroup can do this.")


def check_role(role: str) -> None:
    if role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}: use member or admin.")
