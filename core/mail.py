"""Every email leaves through the outbox: EMAIL_BACKEND is `OutboxBackend`, which only writes a
row in the sender's transaction (nothing is sent for a change that rolls back) and, once it
commits, queues `deliver` for it. The job claims the row, sends it through the real backend
(PORTAL_MAIL_BACKEND: SMTP, a folder, the console) and marks it sent; a mail server that is slow
or down delays the mail, never the request. Failed deliveries retry with backoff; `sweep` queues
again what the broker refused or retries gave up on, and drops sent mail after a week."""

import email
import email.message
import io
import logging
from datetime import timedelta
from email.generator import BytesGenerator

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.models import OutboxMail

log = logging.getLogger(__name__)
CLAIM = timedelta(minutes=5)  # a delivery not marked sent by then is tried again
MAX_ATTEMPTS = 50


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        rows = [
            OutboxMail(
                message=message.message().as_bytes(),
                from_email=message.from_email,
                recipients=list(message.recipients()),
            )
            for message in email_messages
            if message.recipients()
        ]
        OutboxMail.objects.bulk_create(rows)
        for row in rows:
            transaction.on_commit(lambda pk=row.pk: _queue(pk))
        return len(rows)


def _queue(pk: int) -> None:
    from core.tasks import mail_deliver

    try:
        mail_deliver.delay(pk)
    except Exception as exc:  # the broker is down: the sweep queues it later, the request goes on
        log.warning("mail %s not queued (%r): the sweep will", pk, exc)


class _Parsed(email.message.Message):
    def as_bytes(self, unixfrom=False, linesep="\n"):  # as Django's messages: the SMTP backend asks \r\n
        out = io.BytesIO()
        BytesGenerator(out, mangle_from_=False, policy=self.policy.clone(linesep=linesep)).flatten(
            self, unixfrom
        )
        return out.getvalue()


class _Stored(EmailMessage):
    """A stored message as Django's backends send one: its own bytes, its own envelope."""

    def __init__(self, row: OutboxMail):
        super().__init__(from_email=row.from_email, to=row.recipients)
        self._bytes = bytes(row.message)

    def message(self, **kwargs):
        return email.message_from_bytes(self._bytes, _class=_Parsed)

    def recipients(self):
        return self.to


def deliver(*, mail_id: int) -> bool:
    """Send one stored mail if nobody is sending it and it is unsent: True once sent. A failure
    frees the claim and raises, for the job's retry."""
    now = timezone.now()
    unsent = OutboxMail.objects.filter(
        _free(now), pk=mail_id, sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS
    )
    if not unsent.update(claimed_until=now + CLAIM, attempts=F("attempts") + 1):
        return False  # sent already, being sent, or given up on
    row = OutboxMail.objects.get(pk=mail_id)
    try:
        get_connection(settings.PORTAL_MAIL_BACKEND, fail_silently=False).send_messages([_Stored(row)])
    except Exception as exc:
        OutboxMail.objects.filter(pk=mail_id).update(claimed_until=None, last_error=repr(exc)[:2000])
        raise
    OutboxMail.objects.filter(pk=mail_id).update(sent_at=timezone.now(), claimed_until=None, last_error="")
    return True


def _free(now) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def sweep(*, older_than: timedelta = timedelta(minutes=2)) -> dict[str, int]:
    """Queue again unsent mail nobody is delivering (the broker refused it, or its retries ran
    out); drop mail sent more than a week ago."""
    now = timezone.now()
    stuck = OutboxMail.objects.filter(
        _free(now), sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, created_at__lt=now - older_than
    )
    ids = list(stuck.values_list("pk", flat=True)[:1000])
    for pk in ids:
        _queue(pk)
    dropped, _ = OutboxMail.objects.filter(sent_at__lt=now - timedelta(days=7)).delete()
    return {"queued": len(ids), "dropped": dropped}
