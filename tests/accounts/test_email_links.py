"""Emailed links lead to the tenant's configured address, whatever Host the request that caused
them named: a port of the sender's choosing never reaches a victim's inbox."""

import pytest
from django.core import mail
from django.test import Client

from accounts import tasks
from accounts.models import Invitation
from tests.conftest import client_for

FORGED_PORT = "acme.localhost:6666"


@pytest.fixture
def at_forged_port(tenant_a):
    return Client(HTTP_HOST=FORGED_PORT)


def _links(body: str) -> list[str]:
    return [word for word in body.split() if word.startswith("http")]


def test_a_password_reset_link_ignores_the_requests_port(at_forged_port, alice):
    at_forged_port.post("/accounts/password/reset/", {"email": alice.email})
    [link] = _links(mail.outbox[-1].body)
    assert link.startswith("http://acme.localhost/accounts/password/reset/key/")
    assert "6666" not in mail.outbox[-1].body


def test_a_reset_for_an_unknown_address_links_without_the_port_too(at_forged_port):
    at_forged_port.post("/accounts/password/reset/", {"email": "nobody@acme.test"})
    body = mail.outbox[-1].body
    assert "http://acme.localhost/accounts/signup/" in body and "6666" not in body


def test_a_signup_confirmation_link_ignores_the_requests_port(at_forged_port):
    password = "a-fine-long-password-42"
    at_forged_port.post(
        "/accounts/signup/", {"email": "dana@acme.test", "password1": password, "password2": password}
    )
    [link] = _links(mail.outbox[-1].body)
    assert link.startswith("http://acme.localhost/accounts/confirm-email/")
    assert "6666" not in mail.outbox[-1].body


def test_an_invitation_link_ignores_the_inviting_requests_port(alice, settings):
    settings.PORTAL_TENANT_URL = "https://{domain}"
    client = client_for(FORGED_PORT, alice)
    response = client.post("/api/users", {"email": "nora@lab.test"}, content_type="application/json")
    assert response.status_code == 202
    tasks.invitation_send(str(Invitation.objects.get(email="nora@lab.test").pk))  # what the worker runs
    [link] = _links(mail.outbox[-1].body)
    assert link.startswith("https://acme.localhost/invite/")
