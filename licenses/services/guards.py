from accounts.models import Tenant
from accounts.services import Actor
from core.errors import Forbidden


def require_admin(by: Actor, tenant: Tenant) -> None:
    if not by.is_tenant_admin(tenant):
        raise Forbidden("Only tenant admins manage licenses.")
