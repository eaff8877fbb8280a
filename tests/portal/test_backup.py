"""Backup and restore, as the README's procedure does it: `pg_dump` of a populated database and the
files of PORTAL_VAR_DIR that matter (the secret key and the two keyrings), restored into a fresh
database and a fresh folder, served by a gunicorn node: the tokens, keys and premium.lic files made
before the backup still work and verify, and no row is lost."""

import glob
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

import premiumlic
from tests.conftest import start_worker, wait_for
from tests.helpers import actor, fetch, make_key, sell, serial, token
from tests.processes import Node, free_port, manage

QUEUE = "restored"  # the restored node's jobs, for its own worker

pytestmark = pytest.mark.django_db(transaction=True)


PG = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])  # Debian's client programs


def pg(program: str, *args) -> str:
    db = connection.settings_dict
    where = ["-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"]]
    return subprocess.run(
        [PG / program, *where, *map(str, args)], capture_output=True, text=True, check=True
    ).stdout


def psql(database: str, sql: str) -> str:
    return pg("psql", "-d", database, "-At", "-c", sql).strip()


def row_counts(database: str) -> dict[str, int]:
    tables = psql(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").split()
    return {table: int(psql(database, f'SELECT count(*) FROM "{table}"')) for table in tables}  # noqa: S608 (catalog names)


def dump_and_restore(folder: Path, into: str) -> None:
    """The database half of the backup (`pg_dump -Fc`) and of the restore (`pg_restore --no-owner`)."""
    dump = folder / "portal.dump"
    pg("pg_dump", "-Fc", "-f", dump, connection.settings_dict["NAME"])
    pg("pg_restore", "--no-owner", "-d", into, dump)


def populated(alice, tenant_a) -> tuple[str, str, object, str]:
    """(key, a token minted from it, a license, its serial's premium.lic), made before the backup."""
    key = make_key(alice, tenant_a)[1]
    license = sell(tenant_a, by=actor(alice, tenant_a))
    serial(license, actor(alice, tenant_a))
    return key, token(key), license, fetch({"DragenSerialNo": "SN-100"}).content.decode()


def restored_node(url: str, var: Path, log: Path) -> Node:
    env = {
        **{
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_ALLOW", "PORTAL_", "SECRET_KEY"))
        },
        "DATABASE_URL": url,
        "PORTAL_VAR_DIR": str(var),
        "CELERY_QUEUE": QUEUE,
        "DEBUG": "0",
    }
    node = Node(free_port(), env, log)
    node.wait_healthy()
    return node


@pytest.fixture
def fresh_database():
    db = connection.settings_dict
    name = f"portal_restored_{uuid.uuid4().hex[:8]}"
    psql("postgres", f'CREATE DATABASE "{name}"')
    yield name, f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
    psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_backup_keeps_every_token_key_and_premium_license(
    fresh_database, alice, tenant_a, tmp_path
):
    key, old_token, license, premium = populated(alice, tenant_a)
    before = row_counts(connection.settings_dict["NAME"])
    name, url = fresh_database
    dump_and_restore(tmp_path, into=name)
    var = tmp_path / "var-restored"  # the files half (README: Backup and restore)
    var.mkdir()
    shutil.copy(settings.PORTAL_JWT_KEYS_FILE, var / "jwt-keys.json")
    shutil.copy(settings.PORTAL_LICENSE_KEYS_FILE, var / "license-keys.json")
    (var / "secret-key").write_text(settings.SECRET_KEY)
    assert row_counts(name) == before

    node = restored_node(url, var, tmp_path / "node.log")
    try:
        assert node.me(old_token).status_code == 200  # a token minted before the backup
        assert node.token(key)  # the key exchanges
        checked = node.request(
            "POST", "/api/licensing/validate", content=premium, headers={"Content-Type": "text/plain"}
        )
        assert checked.json()["valid"] is True, checked.text
        published = httpx.get(node.url + "/.well-known/premium-license-keys.json", timeout=10).json()
        assert premiumlic.verify(premium, premiumlic.public_keys(published))["lid"] == str(license.pk)
        assert (
            node.request("POST", "/api/licensing/premium.lic", json={"DragenSerialNo": "SN-100"}).text
            == premium
        )
    finally:
        node.stop()


def test_without_the_keyrings_old_tokens_and_files_no_longer_verify(
    fresh_database, alice, tenant_a, tmp_path
):
    """What the README warns of: the database restored alone (new keys are made) keeps the keys
    and the data, not what was signed."""
    key, old_token, _, premium = populated(alice, tenant_a)
    name, url = fresh_database
    dump_and_restore(tmp_path, into=name)
    var = tmp_path / "var-without-keys"
    var.mkdir()
    (var / "secret-key").write_text(settings.SECRET_KEY)
    node = restored_node(url, var, tmp_path / "node.log")
    try:
        assert node.me(old_token).status_code == 401  # signed by a key this node never had
        assert node.me(node.token(key)).status_code == 200  # the API key is a digest in the database
        published = httpx.get(node.url + "/.well-known/premium-license-keys.json", timeout=10).json()
        with pytest.raises(premiumlic.InvalidLicense):
            premiumlic.verify(premium, premiumlic.public_keys(published))
        assert json.loads((var / "license-keys.json").read_text())  # a new keyring was made

        manage("reissue_license_files", env=node.env)  # the README's remedy
        worker = start_worker(log_dir=tmp_path, DATABASE_URL=url, PORTAL_VAR_DIR=str(var), CELERY_QUEUE=QUEUE)
        try:
            wait_for(lambda: _fetched(node) != premium, timeout=60)
        finally:
            worker.terminate()
            worker.wait(timeout=20)
        assert premiumlic.verify(_fetched(node), premiumlic.public_keys(published))["typ"] == "premium.lic"
    finally:
        node.stop()


def _fetched(node: Node) -> str:
    return node.request("POST", "/api/licensing/premium.lic", json={"DragenSerialNo": "SN-100"}).text
