"""Two tenants and named people. Tenant A (acme.localhost): alice (admin), bob (member).
Tenant B (globex.localhost): charlie (admin). Tests run on real PostgreSQL, Redis and Celery."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from accounts.models import Role
from tests.factories import MembershipFactory, TenantFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def pytest_sessionstart(session):
    """Fail fast, naming the service, rather than silently testing against something else."""
    db_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not db_url.startswith("postgres"):
        pytest.exit("Tests run on PostgreSQL: use `make test` (or set DATABASE_URL=postgres://...).", 3)
    if not _reachable(db_url, 5432):
        pytest.exit(
            f"PostgreSQL is not reachable at {urlsplit(db_url).netloc}. Start it: "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            3,
        )
    if not redis_url or not _reachable(redis_url, 6379):
        pytest.exit(
            f"Redis is not reachable at {redis_url or '(REDIS_URL unset)'}. Start it: "
            "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
            3,
        )
    import redis

    redis.Redis.from_url(redis_url).flushdb()


@pytest.fixture
def tenant_a(db):
    return TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")


@pytest.fixture
def tenant_b(db):
    return TenantFactory(name="Globex Labs", slug="globex", domain="globex.localhost")


@pytest.fixture
def alice(tenant_a):
    user = UserFactory(email="alice@acme.test", full_name="Alice Admin")
    MembershipFactory(tenant=tenant_a, user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def bob(tenant_a):
    user = UserFactory(email="bob@acme.test", full_name="Bob Member")
    MembershipFactory(tenant=tenant_a, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def charlie(tenant_b):
    user = UserFactory(email="charlie@globex.test", full_name="Charlie Admin")
    MembershipFactory(tenant=tenant_b, user=user, role=Role.ADMIN)
    return user


def change_tenant(tenant, **fields) -> None:
    """Change a tenant the way the portal does (save(), so caches of it are invalidated)."""
    for field, value in fields.items():
        setattr(tenant, field, value)
    tenant.save()


def client_for(host: str, user=None) -> Client:
    client = Client(HTTP_HOST=host)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_alice(alice):
    return client_for("acme.localhost", alice)


@pytest.fixture
def as_bob(bob):
    return client_for("acme.localhost", bob)


@pytest.fixture
def as_charlie(charlie):
    return client_for("globex.localhost", charlie)


@pytest.fixture(scope="session")
def mail_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, mail_dir):
    """A real Celery worker process on Redis, using the test database."""
    from django.db import connection

    env = dict(os.environ)
    db = connection.settings_dict
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env["EMAIL_FILE_PATH"] = str(mail_dir)
    env["DATABASE_CONN_MAX_AGE"] = "0"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo", "-l", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    _wait_ready(proc)
    yield proc
    proc.terminate()
    proc.wait(timeout=20)


def _wait_ready(proc, timeout: float = 60) -> None:
    from portal.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"The Celery worker exited:\n{proc.stdout.read()}")
        if app.control.ping(timeout=1):
            return
    proc.kill()
    raise RuntimeError("The Celery worker did not answer a ping within a minute.")


def wait_for(predicate, timeout: float = 20, interval: float = 0.1):
    """Poll until `predicate()` is truthy (work done by another process), else fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {predicate}")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters and auth snapshots start empty in every test (the Celery broker's
    keys, in the same Redis database, are left alone)."""
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match="portal:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness only slows the suite; the hasher is not what is tested.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
