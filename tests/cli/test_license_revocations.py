"""`portal license verify --revocations FILE|URL` against a live portal: a revoked file is refused,
then offline from the kept list; an older list never replaces a newer one; an altered list is
refused as a list, not taken for an empty one."""

import json
import shutil
import time

import pytest

import premiumcrl
import premiumlic
from licenses import services
from tests.cli.conftest import run_cli
from tests.helpers import actor, license_payload, sell, serial

REVOKED, UNKNOWN_KEY = 20, 15
PATH = "/.well-known/premium-license-revocations"


@pytest.fixture
def fetched(portal, annotations, alice, tenant_a):
    """A premium.lic fetched by the CLI for a serial number on tenant A's license."""
    by = actor(alice, tenant_a)
    license = sell(tenant_a, by)
    serial(license, by, "SN-CRL")
    (annotations / "credentials.json").write_text(json.dumps({"DragenSerialNo": "SN-CRL"}))
    done = portal("license", "fetch")
    assert done.returncode == 0, done.stderr
    return license, by


@pytest.mark.django_db(transaction=True)
def test_a_revoked_file_is_refused_online_then_offline_and_an_older_list_changes_nothing(
    fetched, portal, server, home
):
    license, by = fetched
    url = server + PATH
    before = portal("license", "verify", "--revocations", url, "-o", "json")
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout)["revocations"].startswith("seq ")
    shutil.copy(home / ".portal" / "premium-license-revocations", home / "old.crl")

    services.license_revoke(license=license, by=by)
    refused = portal("license", "verify", "--revocations", url)
    assert refused.returncode == REVOKED, refused.stderr
    assert "revocation list" in refused.stderr and "license was revoked" in refused.stderr

    def offline(*flags):  # no server named: the keys and the list kept in ~/.portal decide
        return run_cli("license", "verify", *flags, home=home)

    assert offline().returncode == REVOKED
    older = offline("--revocations", str(home / "old.crl"))
    assert older.returncode == REVOKED, older.stderr  # the lower seq is ignored, not cached
    ignored = offline("--ignore-license-error", "-o", "json")
    assert ignored.returncode == 0 and json.loads(ignored.stdout)["problem"] == "revoked"


@pytest.mark.django_db(transaction=True)
def test_an_altered_list_is_refused_and_not_kept(fetched, portal, server, home):
    listed = portal("license", "verify", "--revocations", server + PATH)
    assert listed.returncode == 0, listed.stderr
    kept = home / ".portal" / "premium-license-revocations"
    text = kept.read_text()
    lines = text.splitlines()
    middle = len(lines) // 2
    lines[middle] = lines[middle][:-2] + ("AA" if not lines[middle].endswith("AA") else "BB")
    (home / "altered.crl").write_text("\n".join(lines) + "\n")

    altered = portal("license", "verify", "--revocations", str(home / "altered.crl"))
    assert altered.returncode != 0 and altered.returncode != REVOKED, altered.stderr
    assert "revocation list" in altered.stderr
    assert kept.read_text() == text


def _pem(key, path):
    path.write_bytes(
        key.public_key.public_bytes(
            premiumlic.serialization.Encoding.PEM, premiumlic.serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return str(path)


def test_an_older_list_never_replaces_a_kept_one_these_keys_cannot_read(home, tmp_path):
    """Found by an attacker's review: after a key rotation, the old key alone let an older list
    replace the newer kept one, and a revoked file verified again."""
    old_key, new_key = premiumlic.new_signing_key(), premiumlic.new_signing_key()
    now = int(time.time())
    body = license_payload(issued_at=now - 60, license_ends_at=now + 30 * 86400)
    (tmp_path / "premium.lic").write_text(premiumlic.sign(body, old_key))
    for name, seq, key, fids in (("old", 1, old_key, []), ("new", 5, new_key, [body["fid"]])):
        listed = premiumcrl.payload(seq=seq, issued_at=now, next_at=now + 86400, fids=fids, lids=[])
        (tmp_path / f"{name}.crl").write_text(premiumcrl.sign(listed, key))
    both = tmp_path / "both.json"
    both.write_text(json.dumps(premiumlic.jwks([old_key.public_key, new_key.public_key])))
    old_only = _pem(old_key, tmp_path / "old.pem")

    def verify(*flags):
        return run_cli("license", "verify", str(tmp_path / "premium.lic"), *flags, home=home)

    assert verify("--public-key", str(both), "--revocations", str(tmp_path / "new.crl")).returncode == REVOKED
    kept = (home / ".portal" / "premium-license-revocations").read_text()
    refused = verify("--public-key", old_only, "--revocations", str(tmp_path / "old.crl"))
    assert refused.returncode == UNKNOWN_KEY and "seq 5" in refused.stderr, refused.stderr
    assert verify("--public-key", old_only).returncode == UNKNOWN_KEY
    assert (home / ".portal" / "premium-license-revocations").read_text() == kept
    assert verify("--public-key", str(both)).returncode == REVOKED
