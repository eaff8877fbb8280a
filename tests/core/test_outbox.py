"""Email never blocks or fails a request: every message goes through the outbox (core/mail.py)
and a real Celery worker delivers it to a real SMTP server (aiosmtpd). With the server stopped,
sign-up, password reset and an invitation answer as usual; once it is back, each email arrives,
once."""

import time

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from accounts.models import Tenant
from core.models import OutboxMail
from portal.celery import app as celery_app
from tests.conftest import change_tenant, start_worker, wait_for
from tests.helpers import make_key
from tests.processes import free_port

pytestmark = pytest.mark.django_db(transaction=True)
QUEUE = "outbox-test"  # this test's own queue: the suite's worker (which writes files) stays out


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def outbox_queue(settings, monkeypatch):
    settings.EMAIL_BACKEND = "core.mail.OutboxBackend"  # pytest-django had put its in-memory one
    monkeypatch.setitem(celery_app.conf, "task_default_queue", QUEUE)


def test_mail_waits_in_the_outbox_while_the_server_is_down_and_arrives_once(
    outbox_queue, alice, tenant_a, tmp_path
):
    change_tenant(tenant_a, signup_mode=Tenant.SignupMode.OPEN)
    port, inbox = free_port(), Inbox()
    worker = start_worker(log_dir=tmp_path, CELERY_QUEUE=QUEUE, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port),
                          EMAIL_USE_TLS="0", EMAIL_FILE_PATH="")  # fmt: skip
    try:
        site = Client(HTTP_HOST="acme.localhost")
        started = time.monotonic()
        signed_up = site.post(
            "/accounts/signup/",
            {
                "email": "newcomer@example.org",
                "password1": "a-fine-long-password-42",
                "password2": "a-fine-long-password-42",
            },
        )
        reset = site.post("/accounts/password/reset/", {"email": alice.email})
        invited = Client(HTTP_HOST="acme.localhost", HTTP_X_API_KEY=make_key(alice, tenant_a)[1]).post(
            "/api/users", {"email": "invitee@example.org"}, content_type="application/json"
        )
        assert (signed_up.status_code, reset.status_code, invited.status_code) == (302, 302, 202)
        assert time.monotonic() - started < 5  # no request waited for the mail server
        wait_for(lambda: OutboxMail.objects.filter(attempts__gte=2).count() >= 3, timeout=60)  # tried, failed
        assert not OutboxMail.objects.filter(sent_at__isnull=False).exists()

        server = Controller(inbox, hostname="127.0.0.1", port=port)
        server.start()
        try:
            wait_for(lambda: len(inbox.messages) >= 3, timeout=120)
            time.sleep(3)  # a duplicate would come now, from a retry or the sweep
        finally:
            server.stop()
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    recipients = sorted(to for tos, _ in inbox.messages for to in tos)
    assert recipients == sorted(["newcomer@example.org", alice.email, "invitee@example.org"])
    bodies = {tos[0]: body for tos, body in inbox.messages}
    assert "/accounts/confirm-email/" in bodies["newcomer@example.org"]
    assert "/accounts/password/reset/key/" in bodies[alice.email]
    assert "invit" in bodies["invitee@example.org"].lower()
    assert OutboxMail.objects.filter(sent_at__isnull=True).count() == 0


def test_a_change_that_rolls_back_sends_nothing(outbox_queue, tenant_a):
    from django.core.mail import send_mail
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        send_mail("subject", "body", "portal@localhost", ["someone@example.org"])
        raise RuntimeError("the change fails")
    assert not OutboxMail.objects.exists()


def test_the_sweep_queues_again_what_nobody_delivers_and_forgets_sent_mail(outbox_queue, tenant_a):
    from datetime import timedelta

    from django.utils import timezone

    from core import mail

    old = timezone.now() - timedelta(minutes=10)
    stuck = OutboxMail.objects.create(
        message=b"Subject: x\n\nx", from_email="a@b.c", recipients=["d@e.f"], created_at=old
    )
    OutboxMail.objects.create(
        message=b"x", from_email="a@b.c", recipients=["d@e.f"], sent_at=old - timedelta(days=8)
    )
    taken = OutboxMail.objects.create(
        message=b"x",
        from_email="a@b.c",
        recipients=["d@e.f"],
        created_at=old,
        claimed_until=timezone.now() + timedelta(minutes=1),
    )
    import redis
    from django.conf import settings

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(QUEUE)
    assert mail.sweep() == {"queued": 1, "dropped": 1}
    assert broker.llen(QUEUE) == 1
    broker.delete(QUEUE)
    assert OutboxMail.objects.filter(pk__in=[stuck.pk, taken.pk]).count() == 2
