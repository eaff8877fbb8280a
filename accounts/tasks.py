"""Celery tasks: thin wrappers that move work off the request and call a service."""

from celery import shared_task
from django.conf import settings

from accounts import services
from core import cache, usage


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def invitation_send(invitation_id: str) -> bool:
    return services.invitation_send(invitation_id=invitation_id)


@shared_task
def invitations_expire() -> dict[str, int]:
    return services.invitations_sweep()


@shared_task
def cache_changes_settle() -> bool:
    """Make cache changes owed since Redis failed, for processes that may not have noticed."""
    return cache.settle(force=True)


@shared_task
def usage_prune() -> int:
    """Drop usage counts older than PORTAL_USAGE_KEEP_DAYS (the charts show 30 days)."""
    return usage.prune(keep_days=settings.PORTAL_USAGE_KEEP_DAYS)


@shared_task
def events_prune() -> int:
    """Drop events older than PORTAL_EVENT_KEEP_DAYS (400): the log, and the reports made from it."""
    return services.events_prune(keep_days=settings.PORTAL_EVENT_KEEP_DAYS)
