"""Two web nodes: two gunicorn processes on their own ports, sharing PostgreSQL, Redis and the
signing keys' file, as DEPLOY in the README scales out. What one node changes, the other obeys on
the next request."""

import os
import subprocess
import sys
import time

import pytest
from django.db import connection

from tests.conftest import wait_for
from tests.helpers import make_key
from tests.processes import ROOT, Node, free_port


@pytest.fixture
def nodes(transactional_db, tmp_path):
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW")},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SECRET_KEY": "two-nodes-share-this-secret-key-" + "x" * 20,
        "PORTAL_JWT_KEYS_FILE": str(tmp_path / "jwt-keys.json"),
        "PORTAL_LICENSE_KEYS_FILE": str(tmp_path / "license-keys.json"),
        "DEBUG": "0",
    }
    started = [Node(free_port(), env, tmp_path / f"node{n}.log") for n in (1, 2)]
    try:
        for node in started:
            node.wait_healthy()
        yield started
    finally:
        for node in started:
            node.stop()


def test_a_token_from_one_node_works_on_the_other_and_a_revocation_on_one_is_obeyed_by_the_other(
    nodes, alice, tenant_a
):
    one, two = nodes
    apikey, key = make_key(alice, tenant_a)
    token = one.token(key)
    assert two.me(token).status_code == 200  # signed by node 1, verified by node 2
    assert one.me(token).status_code == 200
    bearer = {"Authorization": f"Bearer {token}"}
    assert one.request("DELETE", f"/api/apikeys/{apikey.pk}", headers=bearer).status_code == 204
    assert two.me(token).status_code == 401  # the very next request to the other node
    assert two.request("POST", "/api/tokens", headers={"X-API-Key": key}).status_code == 401


def test_a_signing_key_rotated_on_one_node_is_used_and_trusted_by_the_other(nodes, alice, tenant_a):
    one, two = nodes
    key = make_key(alice, tenant_a)[1]
    old_token = one.token(key)
    old_kids = {k["kid"] for k in two.request("GET", "/.well-known/jwks.json").json()["keys"]}
    done = subprocess.run(
        [sys.executable, "manage.py", "rotate_signing_key"],
        cwd=ROOT,
        env=one.env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    new_kids = wait_for(
        lambda: {k["kid"] for k in two.request("GET", "/.well-known/jwks.json").json()["keys"]} - old_kids,
        timeout=10,
    )
    assert len(new_kids) == 1  # node 2 publishes the new key (within its 2 s re-check)
    deadline = time.monotonic() + 10
    while (new_token := one.token(key)) and _kid(new_token) not in new_kids:
        assert time.monotonic() < deadline, "node 1 still signs with the old key"
        time.sleep(0.2)
    assert two.me(new_token).status_code == 200  # signed with the new key on 1, trusted on 2
    assert two.me(old_token).status_code == 200  # the retired key verifies until its tokens expire


def _kid(token: str) -> str:
    import jwt

    return jwt.get_unverified_header(token)["kid"]
