"""Invitation emails go through a real Celery worker process on Redis."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Invitation, Membership
from accounts.tasks import invitations_expire
from tests.conftest import client_for, wait_for
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.helpers import mails_to

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]
JSON = "application/json"


def _text(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    return ""


@pytest.fixture
def acme_admin(db):
    tenant = TenantFactory(
        name="Acme Genomics", slug="acme", domain="acme.localhost", signup_mode="invite-only"
    )
    admin = UserFactory(email="alice@acme.test")
    MembershipFactory(tenant=tenant, user=admin, role="admin")
    return tenant, client_for("acme.localhost", admin)


def test_the_worker_emails_an_invitation_whose_link_signs_the_invitee_up(celery_worker, mail_dir, acme_admin):
    tenant, as_alice = acme_admin
    response = as_alice.post("/api/users", {"email": "nora@lab.test", "role": "member"}, content_type=JSON)
    assert response.status_code == 202
    invitation = Invitation.objects.get(email="nora@lab.test")

    messages = wait_for(lambda: mails_to(mail_dir, "nora@lab.test"))
    assert messages[0]["Subject"] == "[Acme Genomics] You are invited to Acme Genomics"
    link = re.search(r"http://acme\.localhost/invite/\S+/", _text(messages[0])).group(0)
    wait_for(lambda: Invitation.objects.get(pk=invitation.pk).sent_at)

    visitor = client_for("acme.localhost")
    assert visitor.get(link.removeprefix("http://acme.localhost"))["Location"] == "/accounts/signup/"
    password = "a-fine-long-password-42"
    visitor.post(
        "/accounts/signup/", {"email": "nora@lab.test", "password1": password, "password2": password}
    )
    assert Membership.objects.filter(tenant=tenant, user__email="nora@lab.test", is_active=True).exists()


def test_the_sweep_expires_old_invitations_and_requeues_unsent_ones(celery_worker, mail_dir, acme_admin):
    tenant, _ = acme_admin
    long_ago = timezone.now() - timedelta(minutes=5)
    stale = Invitation.objects.create(tenant=tenant, email="old@lab.test", expires_at=long_ago)
    # As if the broker had been down when it was created: never sent.
    unsent = Invitation.objects.create(
        tenant=tenant,
        email="lost@lab.test",
        created_at=long_ago,
        expires_at=timezone.now() + timedelta(days=1),
    )
    result = invitations_expire.delay()
    assert result.id
    wait_for(lambda: Invitation.objects.get(pk=stale.pk).status == Invitation.Status.EXPIRED)
    wait_for(lambda: Invitation.objects.get(pk=unsent.pk).sent_at)
    assert len(mails_to(mail_dir, "lost@lab.test")) == 1
    assert mails_to(mail_dir, "old@lab.test") == []
