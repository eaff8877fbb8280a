from dataclasses import dataclass
from datetime import timedelta

from django.db import models
from django.utils import timezone

from accounts.models import USAGE_FAILED_SIGNINS, Event, Membership, Tenant, User
from core import usage


@dataclass(frozen=True)
class Actor:
    """Who makes a change, from where, and in which role: what services check and audit."""

    user: User | None
    ip: str | None = None
    membership: Membership | None = None
    system: bool = False  # management commands and Celery tasks

    def is_tenant_admin(self, tenant: Tenant) -> bool:
        if self.system:
            return True
        m = self.membership
        return m is not None and m.tenant_id == tenant.pk and m.is_admin

    @classmethod
    def system_actor(cls) -> "Actor":
        return cls(user=None, system=True)


def event_record(
    *,
    tenant: Tenant,
    by: Actor,
    action: str,
    target: models.Model | None = None,
    **data,
) -> Event:
    """Write one audit event; call it inside the transaction of the change it records."""
    return Event.objects.create(
        tenant=tenant,
        actor=by.user,
        actor_email=by.user.email if by.user else "system" if by.system else "",
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(_target_id(target)) if target is not None else "",
        target_label=str(target)[:254] if target is not None else "",
        data=data,
        ip=by.ip,
    )


def _target_id(target: models.Model):
    # A membership is known to people by its user; everything else by its own id.
    if isinstance(target, Membership):
        return target.user_id
    return target.pk


def signin_failure_count(sender, credentials, request=None, **kwargs) -> None:
    """Django's user_login_failed (pages and POST /api/tokens alike): counted for the tenant whose
    host it was, or that /api/tokens?tenant= named, for its dashboard (core.usage)."""
    tenant = getattr(request, "signin_tenant", None) or getattr(request, "tenant", None)
    if tenant is not None:
        usage.count(USAGE_FAILED_SIGNINS, tenant.pk)


def events_prune(*, keep_days: int, batch: int = 10_000) -> int:
    """Delete events older than `keep_days`, a batch at a time (no long lock on a large log)."""
    before = timezone.now() - timedelta(days=keep_days)
    deleted = 0
    while ids := list(Event.objects.filter(created_at__lt=before).values_list("pk", flat=True)[:batch]):
        deleted += Event.objects.filter(pk__in=ids).delete()[0]
    return deleted
