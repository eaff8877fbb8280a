"""`portal license verify` with the format's additions: each source's end and the file's number in
its summary, and the grace (a warning and exit 17 inside it, 14 after it). Offline, with a key of
the test's own; `portal licenses show` against a live server."""

import json
import time

import pytest

import premiumlic
from tests.cli.conftest import run_cli
from tests.helpers import actor, license_payload, sell

DAY = 86400
EXPIRED, IN_GRACE = 14, 17


@pytest.fixture
def signer(tmp_path):
    """A signing key, and its public half in a PEM file for --public-key."""
    key = premiumlic.new_signing_key()
    pem = tmp_path / "public.pem"
    pem.write_bytes(
        key.public_key.public_bytes(
            premiumlic.serialization.Encoding.PEM, premiumlic.serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key, pem


def verify(signer, home, tmp_path, *flags, **payload):
    key, pem = signer
    path = tmp_path / "premium.lic"
    path.write_text(premiumlic.sign(license_payload(**payload), key))
    return run_cli("license", "verify", str(path), "--public-key", str(pem), *flags, home=home)


def test_the_summary_shows_each_sources_end_the_grace_and_the_number(signer, home, tmp_path):
    now = int(time.time())
    cosmic, end = now + 20 * DAY, now + 200 * DAY
    done = verify(
        signer, home, tmp_path, "-o", "json", issued_at=now, license_ends_at=end,
        source_ends={"COSMIC": cosmic, "SpliceAI": end}, grace=3 * DAY, seq=4,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["source_ends"] == {
        "COSMIC": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(cosmic)),
        "SpliceAI": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end)),
    }
    assert summary["expires_at"] == summary["source_ends"]["COSMIC"] and summary["seq"] == 4
    assert summary["days_left"] == 19 and "in_grace" not in summary


def test_inside_the_grace_the_file_passes_with_a_warning_and_its_own_exit_code(signer, home, tmp_path):
    now = int(time.time())
    times = {"issued_at": now - 30 * DAY, "license_ends_at": now - DAY, "grace": 3 * DAY}
    done = verify(signer, home, tmp_path, "-o", "json", **times)
    assert done.returncode == IN_GRACE, done.stderr
    summary = json.loads(done.stdout)
    assert summary["valid"] is True and summary["in_grace"] is True
    assert summary["sources"] == ["COSMIC", "SpliceAI"]
    assert "warning" in done.stderr and "grace" in done.stderr and summary["grace_until"] in done.stderr

    ignoring = verify(signer, home, tmp_path, "--ignore-license-error", **times)
    assert ignoring.returncode == 0 and "warning" in ignoring.stderr  # the promise to pipelines holds


def test_after_the_grace_or_without_one_an_expired_file_fails(signer, home, tmp_path):
    now = int(time.time())
    after = verify(
        signer, home, tmp_path, issued_at=now - 40 * DAY, license_ends_at=now - 4 * DAY, grace=3 * DAY
    )
    assert after.returncode == EXPIRED and "expired" in after.stderr
    without = verify(signer, home, tmp_path, issued_at=now - 40 * DAY, license_ends_at=now - 600)
    assert without.returncode == EXPIRED
    ignoring = verify(
        signer, home, tmp_path, "--ignore-license-error", "-o", "json",
        issued_at=now - 40 * DAY, license_ends_at=now - 4 * DAY, grace=3 * DAY,
    )  # fmt: skip
    assert ignoring.returncode == 0 and json.loads(ignoring.stdout)["sources"] == []  # basic only


@pytest.mark.parametrize(
    "changes",
    [
        {"src_exp": {"COSMIC": 1, "SpliceAI": 1}},  # ends before the file's exp: over-generous
        {"src_exp": {"COSMIC": 2_000_000_000}},  # a source without its end
        {"grace": 15 * DAY},
        {"grace": "3"},
        {"seq": 0},
    ],
)
def test_additions_that_do_not_hold_make_the_file_malformed(changes):
    body = {**license_payload(), **changes}
    with pytest.raises(ValueError, match="invalid payload"):
        premiumlic.sign(body, premiumlic.new_signing_key())


def test_fields_a_verifier_does_not_know_are_ignored():
    key = premiumlic.new_signing_key()
    body = {**license_payload(), "future": {"anything": 1}}
    assert premiumlic.verify(premiumlic.sign(body, key), {key.kid: key.public_key})["future"] == {
        "anything": 1
    }


@pytest.mark.django_db(transaction=True)
def test_portal_licenses_show_gives_each_sources_end(cli, alice, tenant_a):
    from django.utils import timezone

    end = timezone.now().replace(microsecond=0) + timezone.timedelta(days=30)
    sell(tenant_a, actor(alice, tenant_a), name="Core", source_ends={"COSMIC": end}, grace_days=2)
    shown = cli("licenses", "show", "Core", "-o", "json")
    assert shown.returncode == 0, shown.stderr
    answer = json.loads(shown.stdout)
    assert answer["grace_days"] == 2
    assert answer["source_ends"]["COSMIC"].startswith(end.strftime("%Y-%m-%dT%H:%M:%S"))
    table = cli("licenses", "list")
    assert "Core" in table.stdout and "COSMIC, SpliceAI" in table.stdout
    assert cli("licenses", "show", "nothing").returncode == 5
