"""Redis stopped for a while (6 s in `make test`, 30 s in `make soak`) under a running
deployment (a gunicorn node of two workers, a Celery worker and beat, all on a Redis of the test's
own that keeps its data, as docker-compose.yml runs it): people keep signing in, exchanging keys,
calling the API and adding license credentials. Auth state comes from the database meanwhile; a
key revoked during the outage stays refused after it (Redis comes back with the old generations,
and the changes owed are made before anyone trusts them); every license job the broker refused is
queued again once it is back and done once."""

import os
import re
import statistics
import subprocess
import sys
import time

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from core.models import OwedCacheChange
from licenses.models import Credential, LicenseFile
from tests.conftest import ROOT, RedisServer, _use_broker, start_worker, wait_for
from tests.factories import PASSWORD
from tests.helpers import actor, make_key, sell
from tests.processes import Node, free_port

OUTAGE_SECONDS = float(os.environ.get("PORTAL_OUTAGE_SECONDS", "6"))


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(data_dir=tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def deployment(transactional_db, redis_server, tmp_path):
    """(web node, env): the node, a worker and beat, on our database and `redis_server`."""
    from portal.celery import app

    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW")},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_server.url,
        "CELERY_BROKER_URL": redis_server.url,
        "SECRET_KEY": "redis-outage-" + "x" * 50,
        "PORTAL_JWT_KEYS_FILE": str(tmp_path / "jwt-keys.json"),
        "PORTAL_LICENSE_KEYS_FILE": str(tmp_path / "license-keys.json"),
        "PORTAL_REQUEUE_SECONDS": "2",
        "DEBUG": "0",
    }
    previous = app.conf.broker_url
    _use_broker(app, redis_server.url)  # so start_worker's ping reaches this worker
    node = Node(free_port(), env, tmp_path / "web.log")
    shared = {name: env[name] for name in env if name.startswith(("REDIS", "CELERY", "PORTAL"))}
    worker = start_worker(log_dir=tmp_path, **shared)
    with (tmp_path / "beat.log").open("w") as out:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "beat", "-l", "INFO",
             "-s", str(tmp_path / "beat-schedule")],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        node.wait_healthy()
        yield node
    finally:
        for proc in (beat, worker):
            proc.terminate()
            proc.wait(timeout=30)
        node.stop()
        _use_broker(app, previous)


def test_with_redis_stopped_people_keep_working_revocations_hold_and_license_jobs_complete_once(
    alice, tenant_a, redis_server, deployment
):  # the tenant before the node: this process's writes change generations in another Redis
    node, license = deployment, sell(tenant_a, actor(alice, tenant_a))
    _password_the_node_can_check(alice)
    key = make_key(alice, tenant_a, name="pipeline")[1]
    doomed, doomed_text = make_key(alice, tenant_a, name="leaked")
    token, doomed_token = node.token(key), node.token(doomed_text)
    bearer = {"Authorization": f"Bearer {token}"}
    for _ in range(10):  # both workers, and Redis, now hold alice's auth state
        assert node.me(token).status_code == 200 and node.me(doomed_token).status_code == 200
    before = _add_credential(node, bearer, license, "SN-BEFORE")
    wait_for(lambda: _file_count(before) == 1, timeout=30)

    redis_server.stop()
    seconds, added, outage_ends = [], [], time.monotonic() + OUTAGE_SECONDS
    revoked = _timed(seconds, node.request, "DELETE", f"/api/apikeys/{doomed.pk}", headers=bearer)
    assert revoked.status_code == 204, revoked.text
    while time.monotonic() < outage_ends:
        assert _timed(seconds, node.me, token).status_code == 200
        assert _timed(seconds, node.me, doomed_token).status_code == 401  # from the database
        exchanged = _timed(seconds, node.request, "POST", "/api/tokens", headers={"X-API-Key": key})
        assert exchanged.status_code == 200, exchanged.text
        added.append(_timed(seconds, _add_credential, node, bearer, license, f"SN-DURING-{len(added)}"))
        if len(added) % 5 == 1:  # a password check is slow by design: a few sign-ins
            _timed(seconds, _signed_in, node.browser())
        time.sleep(0.5)
    assert OwedCacheChange.objects.exists()  # the revocation's and the credentials' invalidations

    redis_server.start()  # with the generations it held before the outage
    for _ in range(20):  # every worker process: none trusts a copy stamped before the revocation
        assert node.me(doomed_token).status_code == 401
        assert node.me(token).status_code == 200
    assert _signed_in(node.browser())
    after = _add_credential(node, bearer, license, "SN-AFTER")
    everything = [before, *added, after]
    wait_for(lambda: all(_file_count(pk) == 1 for pk in everything), timeout=90)
    time.sleep(3)  # a requeue sweep more: still one file each
    assert {pk: _file_count(pk) for pk in everything} == {pk: 1 for pk in everything}
    assert not Credential.objects.filter(pk__in=everything, file_wanted_at__isnull=False).exists()
    wait_for(lambda: not OwedCacheChange.objects.exists(), timeout=10)
    print(
        f"{len(seconds)} requests during a {OUTAGE_SECONDS} s outage, none failed: median "
        f"{statistics.median(seconds) * 1000:.0f} ms, slowest {max(seconds) * 1000:.0f} ms; "
        f"{len(added)} credentials added then, each with one file after"
    )


def _password_the_node_can_check(user) -> None:
    hasher = PBKDF2PasswordHasher()  # the suite hashes with MD5, which the node does not accept
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])


def _timed(seconds: list, call, *args, **kwargs):
    started = time.monotonic()
    result = call(*args, **kwargs)
    seconds.append(time.monotonic() - started)
    return result


def _add_credential(node: Node, bearer: dict, license, serial: str) -> str:
    response = node.request(
        "POST",
        f"/api/licenses/{license.pk}/credentials",
        headers=bearer,
        json={"method": "dragen_serial", "serial_number": serial},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _file_count(credential_id: str) -> int:
    return LicenseFile.objects.filter(credential_id=credential_id).count()


def _signed_in(browser: httpx.Client) -> bool:
    with browser:
        login = browser.get("/accounts/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        form = {"login": "alice@acme.test", "password": PASSWORD, "csrfmiddlewaretoken": csrf}
        signed = browser.post("/accounts/login/", data=form)
        assert signed.status_code == 302, signed.text
        assert browser.get("/workgroups/").status_code == 200
    return True
