"""The CLI's guards beside premium.lic: a clock set back past the newest time seen (the `portal`
process's clock really moved, by libfaketime) and an older file put back in place of a newer one."""

import json
import shutil
import time

import pytest

import premiumlic
from licenses import services
from tests.cli.conftest import clock_moved, run_cli
from tests.helpers import actor, license_payload, sell, serial

DAY = 86400
CLOCK_BEHIND, REPLAYED = 18, 19


@pytest.fixture
def signed_file(tmp_path):
    """A file valid for 30 more days, and the PEM of the key that signed it."""
    key = premiumlic.new_signing_key()
    pem = tmp_path / "public.pem"
    pem.write_bytes(
        key.public_key.public_bytes(
            premiumlic.serialization.Encoding.PEM, premiumlic.serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    now = int(time.time())
    path = tmp_path / "lic" / "premium.lic"
    path.parent.mkdir()
    path.write_text(
        premiumlic.sign(license_payload(issued_at=now - DAY, license_ends_at=now + 30 * DAY), key)
    )
    return path, pem


def test_a_clock_set_back_past_the_newest_time_seen_fails_until_it_is_fixed(signed_file, home):
    path, pem = signed_file

    def verify(*flags, offset=None):
        env = clock_moved(offset) if offset else None
        return run_cli("license", "verify", str(path), "--public-key", str(pem), *flags, home=home, env=env)

    assert verify(offset="+2d").returncode == 0  # the newest time seen: two days ahead
    mark = json.loads((path.parent / ".premium.lic.seen.json").read_text())["mark"]
    assert mark >= time.time() + 2 * DAY - 60

    behind = verify()  # today's clock is now two days behind what was seen
    assert behind.returncode == CLOCK_BEHIND, behind.stderr
    assert "set back" in behind.stderr and "delete" in behind.stderr
    assert verify(offset="+2d").returncode == 0  # the right time again passes
    assert verify(offset=f"+{2 * DAY - 180}").returncode == 0  # within the 5 minutes' skew
    ignoring = verify("--ignore-license-error", "-o", "json")
    assert ignoring.returncode == 0 and json.loads(ignoring.stdout)["sources"] == []

    (path.parent / ".premium.lic.seen.json").unlink()  # what the README says to do for a wrong mark
    assert verify().returncode == 0


@pytest.mark.django_db(transaction=True)
def test_a_fetch_raises_the_mark_and_an_older_file_put_back_is_refused(
    portal, annotations, home, alice, tenant_a
):
    by = actor(alice, tenant_a)
    license = sell(tenant_a, by)
    serial(license, by, "SN-GUARD")
    (annotations / "credentials.json").write_text(json.dumps({"DragenSerialNo": "SN-GUARD"}))
    assert portal("license", "fetch").returncode == 0
    path = annotations / "premium.lic"
    shutil.copy(path, home / "old.lic")

    services.license_update(license=license, by=by, sources=["COSMIC"])  # the next file: seq 2
    fetched = portal("license", "fetch", "-o", "json")
    assert fetched.returncode == 0, fetched.stderr
    assert json.loads(fetched.stdout)["seq"] == 2

    shutil.copy(home / "old.lic", path)  # a stale copy, e.g. from a backup
    replayed = run_cli("license", "verify", "-o", "json", home=home)  # offline: the keys are cached
    assert replayed.returncode == REPLAYED, replayed.stderr
    assert "older file (seq 1)" in replayed.stderr and "(seq 2)" in replayed.stderr

    behind = portal("license", "status", env=clock_moved("-1h"))
    assert behind.returncode == CLOCK_BEHIND  # the fetch marked the time it was made
