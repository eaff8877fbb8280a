import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import make_key

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home directory of the test's own: ~/.portal and ~/.ilmnAnnotations live here."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in list(os.environ):
        if name.startswith("PORTAL_") and name not in ("PORTAL_VAR_DIR",):
            monkeypatch.delenv(name)
    return tmp_path


def run_cli(
    *args, home: Path, env: dict | None = None, input: str | None = None
) -> subprocess.CompletedProcess:
    """`portal ARGS` as a user runs it: its own process, this home, no terminal."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "DJANGO_"))
    }
    environment.update({"HOME": str(home), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "portal_cli", *args],
        cwd=ROOT,
        env=environment,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )


def clock_moved(offset: str) -> dict:
    """The environment that moves a `portal` process's clock by `offset` ("+2d", "-1h": libfaketime)."""
    library = next(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    return {"LD_PRELOAD": str(library), "FAKETIME": offset, "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


@pytest.fixture
def annotations(home):
    path = home / ".ilmnAnnotations"
    path.mkdir()
    return path


@pytest.fixture
def portal(server, home):
    """`portal` as a bioinformatician runs it: no config, the server given by PORTAL_SERVER_URL."""

    def run(*args, env=None, **kwargs):
        return run_cli(*args, home=home, env={"PORTAL_SERVER_URL": server, **(env or {})}, **kwargs)

    return run


@pytest.fixture
def alice_key(alice, tenant_a):
    return make_key(alice, tenant_a)[1]


@pytest.fixture
def cli(server, alice_key, home):
    """`portal` configured for Alice by `config set`, as she would."""
    done = run_cli("config", "set", "--server-url", server, "--x-api-key", alice_key, home=home)
    assert done.returncode == 0, done.stderr

    def run(*args, **kwargs):
        return run_cli(*args, home=home, **kwargs)

    return run
