"""Host → tenant (and tenant id → tenant), without a database query on every request.

Each process keeps the tenants it looked up (`core.generations`), stamped with one generation
for all tenants; any write to a tenant row (rename, policy, deactivation, domain; from services,
Django admin or a shell) replaces it, so a deactivated tenant is unreachable everywhere on the next
request. Copies of tenant state kept elsewhere (licenses.credstate) stamp with it too.
"""

from django.core.exceptions import ValidationError

from accounts.models import Tenant
from core.generations import Copies
from core.instances import copy_of
from core.invalidation import feeds

_copies = Copies("tenants")
TENANTS_GENERATION = _copies.generation("all")


def tenant_for_domain(domain: str) -> Tenant | None:
    return _lookup("domain", domain)


def tenant_by_id(tenant_id: str) -> Tenant | None:
    """The active tenant with this id (a token's `tid`, an API key's tenant), or None."""
    return _lookup("pk", str(tenant_id))


def _lookup(field: str, value: str) -> Tenant | None:
    tenant = _copies.read((field, value), [TENANTS_GENERATION], lambda: _load(field, value))
    return copy_of(tenant) if tenant is not None else None  # a view may change request.tenant


def _load(field: str, value: str) -> Tenant | None:
    try:
        return Tenant.objects.filter(**{field: value, "is_active": True}).first()
    except ValidationError:  # not a UUID
        return None


def watch() -> None:
    """Any write to any tenant makes every copy stale (`core.invalidation`)."""
    feeds(Tenant, _copies, lambda rows: ["all"])
