"""Processes the tests start and stop: web nodes (gunicorn), a PostgreSQL server of their own, and
an OpenID Connect provider."""

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Node:
    def __init__(self, port: int, env: dict, log: Path, *options: str):
        """`options`: more of gunicorn's, e.g. `--config deploy/gunicorn.conf.py` (-b and -w win)."""
        self.url, self.env = f"http://127.0.0.1:{port}", env
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "portal.wsgi", *options,
                 "-b", f"127.0.0.1:{port}", "-w", "2"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.log = log

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"Host": "acme.localhost", **kwargs.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=10, **kwargs)

    def browser(self) -> httpx.Client:
        """A client that keeps cookies, as a browser at the tenant's domain does."""
        return httpx.Client(base_url=self.url, headers={"Host": "acme.localhost"}, timeout=10)

    def token(self, key: str) -> str:
        response = self.request("POST", "/api/tokens", headers={"X-API-Key": key})
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def me(self, token: str) -> httpx.Response:
        return self.request("GET", "/api/me", headers={"Authorization": f"Bearer {token}"})

    def wait_healthy(self, timeout: float = 60) -> None:
        wait_for(self._healthy, timeout=timeout)

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(self.log.read_text())
        try:
            return self.request("GET", "/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """A PostgreSQL server of the test's own (Debian's binaries, a data folder in /tmp, a free
    port), so it can be stopped and started without touching the machine's. initdb refuses root:
    as root, it runs as the postgres user."""

    def __init__(self):
        self.bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")

    @property
    def data(self) -> str:
        return str(self.dir / "data")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", self.data, "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        command = self._as_owner(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        subprocess.run(command, capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = self._as_owner(self.bin / program, *args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    def _as_owner(self, *command) -> list[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return [*prefix, *map(str, command)]


def manage(*args: str, env: dict) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


class _Served:
    """A test program in a process of its own (`python -m` a module), ready once a URL answers."""

    def _start(self, log: Path, command: list[str], env: dict, ready_url: str) -> None:
        self.log = log
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", *command],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        wait_for(lambda: self._ready(ready_url), timeout=60)

    def _ready(self, url: str) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(self.log.read_text())
        try:
            return httpx.get(url, timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


class OidcProvider(_Served):
    """The tests' OpenID Connect provider (django-allauth's allauth.idp.oidc, tests/oidc_provider/)
    in a process of its own, with one client (whose redirect URIs are given) and these people:
    dicts of email, password, verified (its email_verified claim), first_name, last_name."""

    def __init__(
        self, folder: Path, *, redirect_uris: list[str], people: list[dict], tamper: str = "", port: int = 0
    ):
        """`tamper`: a claim the provider gets wrong on purpose (tests/oidc_provider/adapter.py);
        `port`: where it listens (its issuer is http://127.0.0.1:<port>), by default a free one."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.client_id, self.client_secret = "portal-client", "the-client-secret-of-the-tests"
        config = {"client_id": self.client_id, "client_secret": self.client_secret,
                  "redirect_uris": redirect_uris, "people": people}  # fmt: skip
        env = {
            **os.environ,
            "OIDC_PROVIDER_DB": str(folder / "oidc-provider.sqlite3"),
            "OIDC_PROVIDER_KEY": pem,
            "OIDC_PROVIDER_TAMPER": tamper,
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        command = ["tests.oidc_provider.serve", str(self.port), json.dumps(config)]
        self._start(
            folder / "oidc-provider.log", command, env, self.issuer + "/.well-known/openid-configuration"
        )


class SamlProvider(_Served):
    """The tests' SAML identity provider (pysaml2, tests/saml_idp/serve.py) in a process of its
    own, at http://127.0.0.1:<port>, signing in these people (email, password, names, groups).
    `idp` is the same provider in this process: its metadata, and `register` for ours."""

    def __init__(self, folder: Path, *, people: list[dict]):
        from tests.saml_idp.idp import IdentityProvider

        self.port = free_port()
        self.idp = IdentityProvider(folder, base_url=f"http://127.0.0.1:{self.port}")
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        command = ["tests.saml_idp.serve", str(self.port), str(folder), json.dumps(people)]
        self._start(folder / "saml-idp.log", command, env, f"{self.idp.base_url}/metadata")
