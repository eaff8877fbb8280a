"""Celery jobs of the platform: thin, as every app's."""

import smtplib

from celery import shared_task

from core import mail


@shared_task(
    autoretry_for=(OSError, smtplib.SMTPException), retry_backoff=2, retry_backoff_max=300, max_retries=10
)
def mail_deliver(mail_id: int) -> bool:
    return mail.deliver(mail_id=mail_id)


@shared_task
def mail_sweep() -> dict[str, int]:
    return mail.sweep()
