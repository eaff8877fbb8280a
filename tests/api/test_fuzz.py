"""Schemathesis against the live API: every operation, with a valid credential, positive and
negative data, and stateful sequences from the links it infers (create → read → change → delete).

`make test` runs a few examples per operation; `make fuzz` many more (PORTAL_FUZZ_EXAMPLES).
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.helpers import make_key

HERE = Path(__file__).resolve().parent
EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "3"))
PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory's


@pytest.fixture
def generous_rate_limits(settings):
    # The fuzzer is one client sending thousands of requests; the limits have tests of their own.
    settings.PORTAL_RATES = {name: "" for name in settings.PORTAL_RATES}


def test_schemathesis_finds_nothing(live_server, alice, tenant_a, generous_rate_limits, tmp_path):
    token = Client(HTTP_HOST=tenant_a.domain).post(
        "/api/tokens", HTTP_AUTHORIZATION=_basic(alice.email, PASSWORD)
    )
    assert token.status_code == 200, token.content
    port = urlsplit(live_server.url).port
    env = {
        **os.environ,
        "PORTAL_FUZZ_HOST": tenant_a.domain,
        "PORTAL_FUZZ_TOKEN": token.json()["token"],
        "PORTAL_FUZZ_API_KEY": make_key(alice, tenant_a, name="fuzz")[1],
        "PORTAL_FUZZ_EMAIL": alice.email,
        "PORTAL_FUZZ_PASSWORD": PASSWORD,
    }
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(HERE / "schemathesis.toml"),
        "run", f"http://127.0.0.1:{port}/api/schema",
        "--max-examples", str(EXAMPLES),
        "--workers", "1",  # Python 3.11's ast.parse is not thread-safe (hypothesis calls it)
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=3600)
    report = done.stdout + done.stderr
    (tmp_path / "schemathesis.log").write_text(report)
    print(report[report.find("=== SUMMARY") - 40 :])
    failures = report[report.find("=== FAILURES") - 40 : report.find("=== WARNINGS")]
    assert done.returncode == 0, failures[:40_000] or report[-5000:]


def _basic(email: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()
