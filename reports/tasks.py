"""Celery tasks: thin wrappers that move work off the request and call a service."""

from celery import shared_task

from reports import services


@shared_task
def report_build(report_id: str) -> bool:
    return services.report_build(report_id=report_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def report_mail(report_id: str, recipient: str) -> bool:
    return services.report_mail(report_id=report_id, recipient=recipient)


@shared_task
def reports_sweep() -> dict[str, int]:
    return services.reports_sweep()
