"""Portal's answers against ICA's own OpenAPI document (rebuilt from the installed libica,
tests/ica_document.py): schemathesis generates requests for every operation Portal implements
and checks each answer's status, media type and body against ICA's models."""

import base64
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from ica.operations import OPERATIONS
from tests.factories import PASSWORD
from tests.helpers import make_key
from tests.ica_document import IMPLEMENTED, document, operation_table

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"

pytestmark = pytest.mark.django_db(transaction=True)


def basic(email: str) -> str:
    return "Basic " + base64.b64encode(f"{email}:{PASSWORD}".encode()).decode()


def test_the_servers_table_of_icas_operations_is_libicas():
    assert list(OPERATIONS) == operation_table()  # else: python -m tests.ica_document > ica/operations.py


def test_icas_document_names_every_operation_portal_implements():
    paths = document(IMPLEMENTED)["paths"]
    assert {op["operationId"] for ops in paths.values() for op in ops.values()} == IMPLEMENTED


def test_every_answer_matches_icas_document(server, alice, bob, tenant_a, settings, tmp_path):
    import json

    settings.PORTAL_RATES = {name: "" for name in settings.PORTAL_RATES}  # one client, many requests
    (tmp_path / "ica.json").write_text(json.dumps(document(IMPLEMENTED)))
    key = make_key(alice, tenant_a, name="schemathesis")[1]
    token = Client(HTTP_HOST="localhost").post("/ica/rest/api/tokens", HTTP_AUTHORIZATION=basic(alice.email))
    (tmp_path / "schemathesis.toml").write_text(
        f'[auth.openapi.ApiKeyAuth]\napi_key = "{key}"\n'
        f'[auth.openapi.JwtAuth]\nbearer = "{token.json()["token"]}"\n'
        f'[auth.openapi.BasicAuth]\nusername = "{alice.email}"\npassword = "{PASSWORD}"\n'
    )
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(tmp_path / "schemathesis.toml"),
        "run", str(tmp_path / "ica.json"),
        "--url", f"{server}/ica/rest",
        "--checks", CHECKS,
        "--max-examples", "5",
        "--workers", "1",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    report = done.stdout + done.stderr
    print(report[report.find("=== SUMMARY") - 40 :])
    assert done.returncode == 0, report[-20_000:]
    assert "13 selected" in report or "13 operations" in report or "/13" in report, report[-3000:]
