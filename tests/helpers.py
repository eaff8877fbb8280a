"""Helpers shared by test modules: doing what a person, a pipeline or a lab's tool does."""

import email
import json
import os
import re
import subprocess
import sys
import threading
import uuid
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

import premiumlic
from accounts.models import Membership, User
from accounts.services import Actor
from apikeys import services as apikey_services
from licenses import services as license_services
from licenses.models import Credential, License
from tests.conftest import ROOT, client_for

FETCH, VALIDATE = "/api/licensing/premium.lic", "/api/licensing/validate"

SIGNUP_PASSWORD = "a-fine-long-password-42"


def sign_up_and_verify(host: str, email: str, password: str = SIGNUP_PASSWORD) -> User:
    """Sign up at `host` through allauth's page and follow the emailed confirmation link."""
    client = client_for(host)
    response = client.post(
        "/accounts/signup/", {"email": email, "password1": password, "password2": password}
    )
    assert response.status_code == 302, response.content.decode()
    message = [m for m in mail.outbox if m.to == [email.strip().lower()]][-1]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    assert client.post(urlsplit(link).path).status_code == 302
    return User.objects.get(email=email.strip().lower())


def sign_in(host: str, email: str, password: str = SIGNUP_PASSWORD):
    """A client signed in through the login page (None if the sign-in was refused)."""
    client = client_for(host)
    client.post("/accounts/login/", {"login": email, "password": password})
    return client if "_auth_user_id" in client.session else None


def tenant_admin_form(tenant, rows) -> dict:
    """The POST of Django admin's tenant page, its memberships as (membership, role, active) rows."""
    form = {
        "name": tenant.name,
        "slug": tenant.slug,
        "domain": tenant.domain,
        "is_active": "on",
        "signup_mode": tenant.signup_mode,
        "allowed_email_domains": "[]",
        "jwt_lifetime_seconds": "3600",
        "apikey_max_lifetime_days": "365",
        "session_idle_minutes": "30",
        "session_max_hours": "12",
        "allowed_networks": "[]",
        "password_min_length": "12",
        "password_classes": "[]",
        "password_history": "0",
        "password_max_age_days": "0",
        "mfa_required": "off",
        "mfa_grace_days": "14",
        "created_at_0": "2026-01-01",
        "created_at_1": "00:00:00",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(len(rows)),
    }
    for i, (membership, role, active) in enumerate(rows):
        form |= {
            f"memberships-{i}-id": membership.pk,
            f"memberships-{i}-tenant": tenant.pk,
            f"memberships-{i}-user": membership.user_id,
            f"memberships-{i}-role": role,
        }
        if active:
            form[f"memberships-{i}-is_active"] = "on"
    return form


# API keys and tokens


def make_key(user, tenant, **kwargs):
    """(ApiKey, key text) for `user` in `tenant`, made by the owner through the service."""
    membership = Membership.objects.get(user=user, tenant=tenant)
    kwargs.setdefault("name", "pipeline")
    kwargs.setdefault("workgroups", apikey_services.ALL)
    return apikey_services.apikey_create(
        tenant=tenant, user=user, by=Actor(user=user, membership=membership), **kwargs
    )


def exchange(key_text: str, host: str = "acme.localhost"):
    return Client(HTTP_HOST=host).post("/api/tokens", HTTP_X_API_KEY=key_text)


def token(key_text: str, host: str = "acme.localhost") -> str:
    response = exchange(key_text, host)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def bearer(token_text: str, host: str = "acme.localhost") -> Client:
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token_text}")


# Licenses, and the lab tools' endpoints


def actor(user, tenant) -> Actor:
    return Actor(user=user, membership=Membership.objects.get(user=user, tenant=tenant))


def sell(tenant, by, **overrides) -> License:
    now = timezone.now()
    fields = {
        "name": "Sequencing core, NovaSeq X",
        "sources": ["SpliceAI", "COSMIC"],
        "starts_at": now - timedelta(days=2),  # so tests may end it "a day ago"
        "ends_at": now + timedelta(days=365),
    }
    return license_services.license_create(tenant=tenant, by=by, **{**fields, **overrides})


def add(license, by, method, **kwargs) -> license_services.NewCredential:
    return license_services.credential_add(license=license, by=by, method=method, **kwargs)


def fetch(body, host="acme.localhost", **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return Client(HTTP_HOST=host).post(FETCH, data, content_type="application/json", **extra)


def validate(text, host="acme.localhost"):
    return Client(HTTP_HOST=host).post(VALIDATE, text, content_type="text/plain")


def published_keys() -> dict:
    return premiumlic.public_keys(Client().get("/.well-known/premium-license-keys.json").json())


def code(response) -> str:
    assert response["Content-Type"] == "application/problem+json", response.content
    return response.json()["code"]


def serial(license, by, number="SN-100") -> Credential:
    return license_services.credential_add(
        license=license, by=by, method="dragen_serial", serial_number=number
    ).credential


LICENSE_ISSUED = 1_790_000_000


def license_payload(**overrides) -> dict:
    """A premium.lic payload with made-up ids, issued at LICENSE_ISSUED."""
    fields = {
        "file_id": str(uuid.uuid4()),
        "license_id": str(uuid.uuid4()),
        "tenant_id": str(uuid.uuid4()),
        "tenant_domain": "acme.localhost",
        "method": "dragen_serial",
        "credential": "SN-0042",
        "sources": ["SpliceAI", "COSMIC"],
        "issued_at": LICENSE_ISSUED,
        "license_ends_at": LICENSE_ISSUED + 365 * 86400,
    }
    return premiumlic.payload(**{**fields, **overrides})


# Processes and files


def _another_process_env() -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "0",
    }


def in_another_process(code: str) -> None:
    """Run Django code in a separate process on the test database, as another worker would."""
    command = [sys.executable, "manage.py", "shell", "-c", code]
    subprocess.run(command, cwd=ROOT, env=_another_process_env(), check=True, timeout=60)


class AnotherProcess:
    """A Django process on the test database, kept running (its copies live on between calls):
    `ask(expression)` evaluates one expression there, after `setup`, and gives its repr."""

    def __init__(self, setup: str):
        loop = f"import sys\n{setup}\nfor line in sys.stdin:\n    print(repr(eval(line)), flush=True)\n"
        self._process = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", loop],
            cwd=ROOT,
            env=_another_process_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, expression: str) -> str:
        self._process.stdin.write(expression + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the other process ended while evaluating {expression}")
        return answer.rstrip("\n")

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=10)


def mails_to(mail_dir, address) -> list:
    """The emails the Celery worker wrote to `mail_dir` (EMAIL_FILE_PATH) for `address`."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip() and f"To: {address}" in chunk:
                found.append(email.message_from_string(chunk.strip()))
    return found


def at_once(clients: list, request) -> Counter:
    """`request(client, n)` for each client, each in a thread of its own, all released together;
    how many of each outcome it returned (an exception counts by its name: a 500 raises in the
    test client)."""
    barrier, outcomes = threading.Barrier(len(clients)), Counter()

    def run(client, n):
        try:
            barrier.wait()
            outcomes[request(client, n)] += 1
        except Exception as exc:
            outcomes[type(exc).__name__] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(client, n)) for n, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
