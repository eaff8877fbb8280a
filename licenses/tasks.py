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
def license_file_generate(credential_id: str) -> str | None:
    issued = services.license_file_issue(credential_id=credential_id)
    return str(issued.pk) if issued else None


@shared_task(acks_late=True)
def licenses_expire() -> dict[str, int]:
    return services.licenses_expire()


@shared_task(acks_late=True)
def license_files_refresh() -> dict[str, int]:
    return services.license_files_refresh()


@shared_task(acks_late=True)
def license_reminders_send() -> int:
    return services.license_reminders_send()
