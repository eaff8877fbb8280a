"""icacli (PyPI `icacli`, its `icapy` package and `ica` command), unmodified, against Portal: its
base URL is ICA's own host, so a tenant takes that domain, gunicorn serves it over TLS with a
certificate from a test CA, and an HTTPS proxy tunnels the connections there (tests/tunnel.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import jwt
import pytest
from django.db import connection

from tests.conftest import change_tenant, wait_for
from tests.helpers import make_key
from tests.processes import ROOT, Node, free_port
from tests.tunnel import ConnectProxy, certificate_for

ICA_HOST = "ica.illumina.com"  # icapy.config.BASE_URL's host
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ica_host(alice, tenant_a, tmp_path):
    """(environment for icacli's process, the tenant) — the tenant at ICA's host name, served by
    gunicorn over TLS and reached through the proxy."""
    change_tenant(tenant_a, domain=ICA_HOST)
    ca, cert, key = certificate_for(ICA_HOST, tmp_path)
    db = connection.settings_dict
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW")},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PORTAL_JWT_KEYS_FILE": str(tmp_path / "jwt-keys.json"),
        "DEBUG": "0",
    }
    node = Node(port, env, tmp_path / "node.log", "--certfile", str(cert), "--keyfile", str(key))
    proxy = ConnectProxy(("127.0.0.1", port))
    try:
        wait_for(lambda: _healthy(node, proxy, ca), timeout=60)
        home = tmp_path / "home"
        (home / ".config" / "ica").mkdir(parents=True)
        client_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PORTAL_"))},
            "HOME": str(home),
            "HTTPS_PROXY": proxy.url,
            "REQUESTS_CA_BUNDLE": str(ca),
            "NO_PROXY": "",
        }
        yield client_env, home
    finally:
        proxy.stop()
        node.stop()


def _healthy(node: Node, proxy: ConnectProxy, ca) -> bool:
    """Whether ICA's host answers through the proxy, its certificate checked against the test CA."""
    if node.proc.poll() is not None:
        raise AssertionError(node.log.read_text())
    try:
        answer = httpx.get(f"https://{ICA_HOST}/healthz", proxy=proxy.url, verify=str(ca), timeout=5)
        return answer.status_code == 200
    except httpx.TransportError:
        return False


def icacli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def configure(home, key: str, tenant: str) -> None:
    """What icacli asks for on first use (icapy.config), written as it writes it."""
    (home / ".config" / "ica" / "config.json").write_text(json.dumps({"ica_api_key": key, "tenant": tenant}))


def test_icacli_gets_a_token_for_its_key_and_tenant_name(ica_host, alice, tenant_a):
    env, home = ica_host
    configure(home, make_key(alice, tenant_a)[1], tenant_a.name)
    done = icacli(env, "-c", "from icapy.config import get_token; print(get_token())")
    assert done.returncode == 0, done.stderr
    claims = jwt.decode(done.stdout.strip(), options={"verify_signature": False})
    assert (claims["sub"], claims["tid"], claims["amr"]) == (str(alice.pk), str(tenant_a.pk), ["apikey"])


def test_icacli_with_a_wrong_key_is_refused(ica_host, alice, tenant_a):
    env, home = ica_host
    configure(home, "pak_" + "A" * 38, tenant_a.name)
    done = icacli(env, "-c", "from icapy.config import get_token; print(get_token())")
    assert done.returncode != 0 and "401" in done.stderr


def test_icacli_hears_clearly_what_portal_does_not_do(ica_host, alice, tenant_a):
    env, home = ica_host
    configure(home, make_key(alice, tenant_a)[1], tenant_a.name)
    ica = str(Path(sys.executable).with_name("ica"))  # the command icacli installs
    done = subprocess.run([ica, "jobs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "501" in done.stderr and "Not Implemented" in done.stderr
