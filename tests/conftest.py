"""Two tenants and named people. Tenant A (acme.localhost): alice (admin), bob (member).
Tenant B (globex.localhost): charlie (admin). Tests run on real PostgreSQL, Redis and Celery."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from accounts.models import Role
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


def _flush_by_delete(original):
    """Empty the tables after a transactional test with DELETE, not TRUNCATE: on tables of a few
    rows PostgreSQL's TRUNCATE costs about 0.25 s (new files for each of ~40 tables), DELETE a few
    ms. Django's foreign keys are deferrable, and flush runs in a transaction, so the order does
    not matter. Sequences, when asked to be reset, go through Django's own statements."""

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [
            "SET CONSTRAINTS ALL DEFERRED",
            *(f"DELETE FROM {self.quote_name(table)}" for table in tables),  # noqa: S608 (Django's table names)
        ]

    return sql_flush


def pytest_configure(config):
    from django.db.backends.postgresql.operations import DatabaseOperations

    DatabaseOperations.sql_flush = _flush_by_delete(DatabaseOperations.sql_flush)


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def pytest_xdist_setupnodes(config, specs):
    """`make test` runs the suite in two processes (pytest-xdist): each has a test database of
    its own (pytest-django names them test_portal_gw0, _gw1) and here a Redis database of its own
    (REDIS_URL's, then the one below it), so its cache, counters and Celery broker are its own."""
    parts = urlsplit(os.environ.get("REDIS_URL", ""))
    number = int(parts.path.strip("/") or 0)
    for index, spec in enumerate(specs):
        if number - index < 0:
            raise pytest.UsageError(f"REDIS_URL's database {number} leaves none for worker {index}")
        spec.env["REDIS_URL"] = parts._replace(path=f"/{number - index}").geturl()


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

    from django.conf import settings

    # Django's test client builds its handler, every middleware, anew for each Client, and
    # WhiteNoise indexes the ~190 static files when built (~30 ms). With autorefresh it finds a
    # file when asked for it instead: the same files, the same answers, no index to build.
    settings.WHITENOISE_AUTOREFRESH = True
    settings.PORTAL_USAGE_FLUSH_SECONDS = 0  # usage counts written at once, for the tests to read
    # The tests' identity provider is at http://127.0.0.1 (tests/oidc_provider); sso/fetch.py's
    # refusals of such addresses are tested with these turned off.
    settings.PORTAL_SSO_ALLOW_HTTP = settings.PORTAL_SSO_ALLOW_PRIVATE = True
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "sso-ip": ""}  # its test sets its own

    from django.core.servers.basehttp import WSGIRequestHandler

    # The live_server's handler writes a response's headers and its body in separate sends; with
    # Nagle's algorithm the body then waits for the client's delayed ACK of the headers, ~40 ms a
    # response (gunicorn, what Portal runs on, sets TCP_NODELAY itself).
    WSGIRequestHandler.disable_nagle_algorithm = True


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
    """A client at `host`; with `user`, signed in there as the login page would have done it."""
    client = Client(HTTP_HOST=host)
    if user is not None:
        client.force_login(user)
        bind_session(client, host)
    return client


def bind_session(client: Client, host: str) -> None:
    """Bind `client`'s session to the tenant at `host` (force_login's request has no tenant)."""
    from accounts.hosts import tenant_for_domain
    from accounts.middleware import MADE_AT

    tenant = tenant_for_domain(host.rsplit(":", 1)[0] if not host.endswith("]") else host)
    session = client.session
    session[MADE_AT] = str(tenant.pk) if tenant is not None else ""
    session.save()


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


_session_worker: list = []  # the celery_worker fixture's process, once started


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, mail_dir, tmp_path_factory):
    """A real Celery worker process on Redis, using the test database."""
    worker = start_worker(log_dir=tmp_path_factory.mktemp("worker"), EMAIL_FILE_PATH=str(mail_dir))
    _session_worker.append(worker)
    yield worker
    _session_worker.clear()
    worker.terminate()
    worker.wait(timeout=20)


@pytest.fixture(autouse=True)
def _no_job_outlives_its_test(request):
    """A test whose rows are committed (transactional) queues jobs on the suite's broker. Before
    the database is emptied for the next test, the suite's worker finishes them — a job reading
    while the tables are truncated deadlocks the truncation — or, with no worker, they are
    dropped, so none runs later against another test's rows."""
    marker = request.node.get_closest_marker("django_db")
    committed = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if not committed:
        yield
        return
    request.getfixturevalue("transactional_db")  # set up first, so torn down after this
    yield
    import redis
    from django.conf import settings

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    if _session_worker and _session_worker[0].poll() is None:
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        wait_for(lambda: broker.llen(queue) == 0 and broker.hlen("unacked") == 0, timeout=60)
    else:
        broker.delete(settings.CELERY_TASK_DEFAULT_QUEUE)


def start_worker(
    *, log_dir: Path, wait: bool = True, pool: str = "solo", concurrency: int = 1, **env_overrides
) -> subprocess.Popen:
    """Start a Celery worker process on the test database (and this process's broker unless
    CELERY_BROKER_URL is given); with `wait`, return once it answers a ping (a solo worker busy
    with a task cannot). Its log goes to a file, so a busy worker never blocks on a full pipe.
    It leads a process group of its own: `os.killpg` kills it with its pool's children."""
    from django.db import connection

    env = dict(os.environ)
    db = connection.settings_dict
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env["DATABASE_CONN_MAX_AGE"] = "0"
    env.update(env_overrides)
    name = f"worker-{time.monotonic_ns()}@%h"
    log = log_dir / f"{name.split('@')[0]}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool",
                pool,
                "--concurrency",
                str(concurrency),
                "--without-mingle",
                "--without-gossip",
                "-l",
                "INFO",
                "-n",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    proc.log = log
    if wait:
        _wait_ready(proc)
    return proc


def _wait_ready(proc, timeout: float = 60) -> None:
    from portal.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"The Celery worker exited:\n{proc.log.read_text()}")
        if app.control.ping(timeout=1):
            return
    proc.kill()
    raise RuntimeError(f"The Celery worker did not answer a ping within a minute:\n{proc.log.read_text()}")


def _redis_server() -> str:
    path = shutil.which("redis-server")
    if path is None:
        pytest.fail("These tests start a Redis server of their own: apt-get install redis-server.")
    return path


class RedisServer:
    """A Redis server of a test's own, on a free port, that the test may stop and start again.
    With `data_dir` it keeps its data there (appendonly, as docker-compose.yml runs it): a
    restart finds what it held; without, a restart is empty."""

    def __init__(self, data_dir: Path | None = None):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc = None
        if data_dir is None:
            self._persistence = ["--appendonly", "no"]
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            self._persistence = ["--appendonly", "yes", "--dir", str(data_dir)]

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [
                _redis_server(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                *self._persistence,
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: _reachable(self.url, self.port), timeout=10)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None

    def idle(self, queue: str = "portal") -> bool:
        """Every message sent has been taken and acknowledged (acks_late: after its task ran)."""
        import redis

        client = redis.Redis.from_url(self.url)
        return client.llen(queue) == 0 and client.hlen("unacked") == 0


@pytest.fixture
def own_broker():
    """A broker of this test's own, for this process and the workers it starts, so the test can
    stop it or kill its workers without touching the rest of the suite."""
    from portal.celery import app

    server = RedisServer()
    server.start()
    previous = app.conf.broker_url
    _use_broker(app, server.url)
    yield server
    _use_broker(app, previous)
    server.stop()


def _use_broker(app, url: str) -> None:
    app.conf.broker_url = url
    app._pool = None  # Celery caches its connection and producer pools; the next send makes new ones
    app.amqp._producer_pool = None


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


@pytest.fixture(autouse=True)
def _test_client_host_is_an_operator_host(settings):
    # Django's test client says Host: testserver when a test names no host; it stands for "one of
    # our own hosts" (as localhost does by default), never for a tenant or a forged host.
    settings.PORTAL_OPERATOR_HOSTS = settings.PORTAL_OPERATOR_HOSTS | {"testserver"}


@pytest.fixture
def slow_hashing(settings, alice):
    """Passwords hashed at about 22 ms each (tests/timing.py), Alice's among them, and no rate
    limit in the way of 400 tries."""
    from tests.timing import calibrate

    settings.PASSWORD_HASHERS = ["tests.timing.TimedHasher"]
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "", "reset_password": "", "login": ""}
    settings.PORTAL_RATES = {name: "" for name in settings.PORTAL_RATES}
    calibrate()
    alice.set_password(PASSWORD)
    alice.save(update_fields=["password"])


@pytest.fixture
def usage_in_memory(settings, db):
    """Usage counts held in this process, as in production (tests write them at once otherwise):
    for the tests that a hot path makes no query. Written when the test ends."""
    from core import usage

    settings.PORTAL_USAGE_FLUSH_SECONDS = 3600
    yield
    usage.flush()


@pytest.fixture
def server(live_server, tenant_a):
    """Tenant A served at http://localhost:PORT (the resolver knows localhost, not acme.localhost);
    http://127.0.0.1:PORT is an operator host."""
    change_tenant(tenant_a, domain="localhost")
    return live_server.url
