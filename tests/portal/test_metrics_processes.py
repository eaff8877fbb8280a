"""/metrics under gunicorn with the deployment's config: two web workers and a Celery worker on
the same host write their own counts into PROMETHEUS_MULTIPROC_DIR, and /metrics adds them up."""

import datetime
import os

import httpx
import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import start_worker, wait_for
from tests.helpers import make_key
from tests.processes import Node, free_port

QUEUE = "metrics-test"  # a queue of this test's own: the suite's worker leaves its jobs alone


def samples(node: Node) -> dict:
    response = httpx.get(node.url + "/metrics", timeout=10)  # Host: 127.0.0.1, an operator host
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(node: Node, name: str, **labels) -> float:
    return samples(node).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def node(transactional_db, tmp_path):
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW")},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SECRET_KEY": "metrics-node-secret-key-" + "x" * 30,
        "PORTAL_JWT_KEYS_FILE": str(tmp_path / "jwt-keys.json"),
        "PORTAL_LICENSE_KEYS_FILE": str(tmp_path / "license-keys.json"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "CELERY_QUEUE": QUEUE,
        "DEBUG": "0",
    }
    started = Node(free_port(), env, tmp_path / "node.log", "--config", "deploy/gunicorn.conf.py")
    try:
        started.wait_healthy()
        yield started
    finally:
        started.stop()


def test_metrics_add_up_every_web_worker_and_the_celery_worker(node, alice, tenant_a, tmp_path):
    for _ in range(40):
        assert node.request("GET", "/api/ping").status_code == 200
    assert value(node, "portal_http_requests_total", route="/api/ping", method="GET", status="200") == 40

    key = make_key(alice, tenant_a)[1]
    today = datetime.date.today().isoformat()
    asked = node.request(
        "POST",
        "/api/reports",
        headers={"X-API-Key": key},
        json={"kind": "usage", "starts_on": today, "ends_on": today},
    )
    assert asked.status_code == 202, asked.text
    wait_for(lambda: value(node, "portal_celery_queue_depth", queue=QUEUE) == 1, timeout=20)

    worker = start_worker(
        log_dir=tmp_path, CELERY_QUEUE=QUEUE, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus")
    )
    try:
        task = {"task": "reports.tasks.report_build", "outcome": "success"}
        wait_for(lambda: value(node, "portal_celery_tasks_total", **task) == 1, timeout=60)
        assert value(node, "portal_celery_queue_depth", queue=QUEUE) == 0
    finally:
        worker.terminate()
        worker.wait(timeout=20)
