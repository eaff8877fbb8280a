"""`pip install .` gives a `portal` command with light dependencies and no Django."""

import json
import subprocess
import sys
import time
import uuid
import venv

import premiumlic
from tests.cli.conftest import ROOT


def test_pip_install_gives_the_portal_command_without_django(tmp_path):
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(ROOT)]
    subprocess.run(install, check=True, capture_output=True, timeout=300)
    version = subprocess.run(
        [tmp_path / "venv" / "bin" / "portal", "--version"], capture_output=True, text=True
    )
    assert version.stdout == "portal, version 0.1.0\n"
    # The premium.lic format ships with the command: a file verifies offline with the installed one.
    key = premiumlic.new_signing_key()
    now = int(time.time())
    body = premiumlic.payload(
        file_id=str(uuid.uuid4()),
        license_id=str(uuid.uuid4()),
        tenant_id=str(uuid.uuid4()),
        tenant_domain="acme.example",
        method="dragen_serial",
        credential="SN-1",
        sources=["OMIM"],
        issued_at=now,
        license_ends_at=now + 86400,
    )
    (tmp_path / "premium.lic").write_text(premiumlic.sign(body, key))
    (tmp_path / "keys.json").write_text(json.dumps(premiumlic.jwks([key.public_key])))
    verify = [
        tmp_path / "venv" / "bin" / "portal",
        "license",
        "verify",
        "premium.lic",
        "--public-key",
        "keys.json",
    ]
    verified = subprocess.run(
        verify, cwd=tmp_path, env={"HOME": str(tmp_path)}, capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stderr
    assert "OMIM" in verified.stdout
    no_django = subprocess.run([str(python), "-c", "import django"], capture_output=True)
    assert no_django.returncode != 0


def test_the_cli_imports_nothing_from_django_or_the_server():
    code = (
        "import sys, portal_cli.main; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'rest_framework', 'accounts', 'apikeys', 'licenses', 'portal')); print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"
