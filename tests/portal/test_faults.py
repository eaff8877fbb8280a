"""Faults with real processes: PostgreSQL stopped under a running web node, then started again.
(A Celery worker SIGKILLed mid-batch: tests/licenses/test_tasks.py; the broker's Redis stopped
while credentials are added: the same file.)"""

import os
import re
from pathlib import Path

import pytest

from tests.processes import Node, PostgresServer, free_port, manage

PASSWORD = "fault-tolerant-horse-battery"


@pytest.fixture
def postgres():
    server = PostgresServer()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def node(postgres, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW")},
        "DATABASE_URL": postgres.url,
        "REDIS_URL": "redis://127.0.0.1:6379/13",  # not the suite's: it caches another database's tenants
        "SECRET_KEY": "faults-" + "x" * 50,
        "PORTAL_JWT_KEYS_FILE": str(tmp_path / "jwt-keys.json"),
        "PORTAL_LICENSE_KEYS_FILE": str(tmp_path / "license-keys.json"),
        "DEBUG": "0",
    }
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    manage("migrate", "--noinput", env=env)
    manage("create_tenant", "--name", "Acme", "--domain", "acme.localhost",
           "--admin-email", "admin@acme.test", "--admin-password", PASSWORD, env=env)  # fmt: skip
    web = Node(free_port(), env, tmp_path / "web.log")
    web.wait_healthy()
    yield web
    web.stop()


def test_requests_while_postgresql_is_down_get_a_503_problem_and_the_node_reconnects(postgres, node):
    token = node.request("POST", "/api/tokens", auth=("admin@acme.test", PASSWORD)).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert node.request("GET", "/api/workgroups", headers=bearer).status_code == 200
    workers = _worker_pids(node)
    browser = signed_in(node.browser())

    postgres.stop()
    for method, path, kwargs in [
        ("GET", "/api/workgroups", {"headers": bearer}),
        ("POST", "/api/workgroups", {"headers": bearer, "json": {"name": "Sequencing"}}),
        ("POST", "/api/tokens", {"auth": ("admin@acme.test", PASSWORD)}),
        ("POST", "/api/licensing/premium.lic", {"json": {"DragenSerialNo": "SN-1"}}),
    ]:
        response = node.request(method, path, **kwargs)
        assert response.status_code == 503, (path, response.status_code, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "unavailable" and response.headers["Retry-After"]
        assert "Traceback" not in response.text
    page = browser.get("/workgroups/")  # the session is in the database
    assert page.status_code == 503 and "not answering" in page.text and "Traceback" not in page.text
    assert node.request("GET", "/healthz").status_code == 503

    postgres.start()
    created = node.request("POST", "/api/workgroups", headers=bearer, json={"name": "Sequencing"})
    assert created.status_code == 201, created.text  # the same processes, reconnected
    assert node.request("GET", "/api/workgroups", headers=bearer).json()["count"] == 1
    assert browser.get("/workgroups/").status_code == 200
    assert _worker_pids(node) == workers


def signed_in(browser):
    login = browser.get("/accounts/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    form = {"login": "admin@acme.test", "password": PASSWORD, "csrfmiddlewaretoken": csrf}
    assert browser.post("/accounts/login/", data=form).status_code == 302
    assert browser.get("/workgroups/").status_code == 200
    return browser


def _worker_pids(node: Node) -> set[int]:
    children = Path(f"/proc/{node.proc.pid}/task/{node.proc.pid}/children").read_text()
    return {int(pid) for pid in children.split()}
