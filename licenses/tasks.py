"""Celery tasks: thin wrappers that move license work off the request and call a service.

Every one is idempotent and acknowledged only after it ran (acks_late): a worker killed mid-task
has its message redelivered, and the service's row lock and checks make the second run finish the
job or find it done."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from licenses import services

_DATABASE_HICCUPS = (OperationalError, InterfaceError)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=_DATABASE_HICCUPS,
    retry_backoff=True,
    max_retries=8,
)
def license_files_generate(credential_ids: list[str]) -> int:
    """Current files for a batch of credentials; how many it holds."""
    return sum(1 for file in services.license_files_issue(credential_ids=credential_ids).values() if file)


@shared_task(acks_late=True)
def licenses_expire() -> dict[str, int]:
    return services.licenses_expire()


@shared_task(acks_late=True)
def license_files_refresh() -> dict[str, int]:
    return services.license_files_refresh()


@shared_task(acks_late=True)
def license_reminders_send() -> int:
    return services.license_reminders_send()


@shared_task(acks_late=True)
def usage_alerts_send() -> int:
    return services.usage_alerts_send()


@shared_task(acks_late=True)
def license_jobs_requeue() -> int:
    return services.license_jobs_requeue()


@shared_task(acks_late=True, autoretry_for=_DATABASE_HICCUPS, retry_backoff=True, max_retries=8)
def revocations_publish() -> int:
    return services.revocations_publish().seq


@shared_task(acks_late=True)
def revocations_refresh() -> int | None:
    return services.revocations_refresh()
