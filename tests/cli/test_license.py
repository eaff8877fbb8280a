"""`portal license fetch|verify|status` against a live server: a real premium.lic fetched with the
credentials the annotation tools would find, verified offline, tampered with, expired."""

import base64
import json
import re
import stat
import time
import uuid

import pytest
from cryptography.hazmat.primitives import serialization

import premiumlic
from licenses import keyring, services
from licenses.services import credentials as credential_services
from tests.cli.conftest import run_cli
from tests.conftest import client_for
from tests.helpers import actor, make_key, sell

pytestmark = pytest.mark.django_db(transaction=True)
NO_FILE, MALFORMED, BAD_SIGNATURE, NOT_YET_VALID, EXPIRED, UNKNOWN_KEY, REFUSED_ONLINE = range(10, 17)
DAY = 86400


@pytest.fixture
def license(server, alice, tenant_a):
    """Tenant A's license for COSMIC and SpliceAI, with the serial number SN-LAB-1 on it. Signed
    with the default keyring, which a Celery worker started by other tests shares: it may be the
    one that writes the file."""
    by = actor(alice, tenant_a)
    license = sell(tenant_a, by)
    credential_services.credential_add(
        license=license, by=by, method="dragen_serial", serial_number="SN-LAB-1"
    )
    return license


def fields(table: str) -> dict:
    """A field/value table as printed, as a dict."""
    return dict(line.split(None, 1) for line in table.splitlines() if line.strip())


def offline(*args, home):
    """`portal` on a machine that knows no server: only what is cached in ~/.portal."""
    return run_cli(*args, home=home)


def signed(tenant, license, key=None, **times) -> str:
    """A file as the portal signs it, with its own key (or `key`), for times of the test's choosing."""
    body = premiumlic.payload(
        file_id=str(uuid.uuid4()),
        license_id=str(license.pk),
        tenant_id=str(tenant.pk),
        tenant_domain=tenant.domain,
        method="dragen_serial",
        credential="SN-LAB-1",
        sources=license.sources,
        **times,
    )
    return premiumlic.sign(body, key) if key else keyring.current().sign(body)


def test_with_only_a_credentials_json_a_verified_premium_lic_lists_the_sources(
    portal, annotations, home, license, tenant_a
):
    (annotations / "credentials.json").write_text(json.dumps({"DragenSerialNo": "SN-LAB-1"}))
    fetched = portal("license", "fetch")
    assert fetched.returncode == 0, fetched.stderr
    path = annotations / "premium.lic"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    shown = fields(fetched.stdout)
    assert shown["written"] == str(path) and shown["sources"] == "COSMIC, SpliceAI"
    assert not list(annotations.glob(".*tmp"))  # written atomically, nothing left behind

    verified = offline("license", "verify", "-o", "json", home=home)  # the keys come from the cache
    assert verified.returncode == 0, verified.stderr
    summary = json.loads(verified.stdout)
    assert summary["valid"] is True and summary["sources"] == ["COSMIC", "SpliceAI"]
    assert summary["license_id"] == str(license.pk) and summary["tenant"] == tenant_a.domain
    assert summary["days_left"] == 89 and summary["path"] == str(path)
    table = fields(offline("license", "verify", home=home).stdout)
    assert table["license_id"] == str(license.pk) and table["days_left"] == "89" and table["valid"] == "yes"


def test_a_tampered_file_fails_its_signature(portal, annotations, license):
    (annotations / "credentials.json").write_text(json.dumps({"DragenSerialNo": "SN-LAB-1"}))
    assert portal("license", "fetch").returncode == 0
    path = annotations / "premium.lic"
    text = path.read_text()
    envelope = json.loads(base64.b64decode("".join(text.splitlines()[1:-1])))
    body = json.loads(base64.urlsafe_b64decode(envelope["enc"] + "=" * (-len(envelope["enc"]) % 4)))
    body["sources"] = ["COSMIC", "OMIM", "PrimateAI-3D", "PromoterAI", "SpliceAI"]  # more than was bought
    envelope["enc"] = (
        base64.urlsafe_b64encode(json.dumps(body, sort_keys=True).encode()).rstrip(b"=").decode()
    )
    path.write_text(premiumlic._armour(premiumlic._envelope_bytes(envelope)))
    done = portal("license", "verify")
    assert done.returncode == BAD_SIGNATURE
    assert (
        done.stderr
        == f"portal: {path} does not match its signature: it was changed, or not signed by the portal.\n"
    )

    lines = text.splitlines(keepends=True)
    middle = lines[2]
    lines[2] = middle[:10] + ("A" if middle[10] != "A" else "B") + middle[11:]  # one character anywhere
    path.write_text("".join(lines))
    assert portal("license", "verify").returncode in (MALFORMED, BAD_SIGNATURE, UNKNOWN_KEY)


def test_an_expired_file_fails_with_its_code_unless_told_to_carry_on(portal, home, license, tenant_a):
    path = home / "old.lic"
    issued = int(time.time()) - 120 * DAY
    path.write_text(signed(tenant_a, license, issued_at=issued, license_ends_at=issued + 365 * DAY))
    done = portal("license", "verify", str(path))
    assert done.returncode == EXPIRED
    expired_on = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(issued + 90 * DAY))
    assert done.stderr == f"portal: {path} expired on {expired_on}.\n"

    carried_on = portal("license", "verify", str(path), "--ignore-license-error", "-o", "json")
    assert carried_on.returncode == 0
    assert "portal: warning: " in carried_on.stderr and "basic sources only" in carried_on.stderr
    assert json.loads(carried_on.stdout) == {
        "valid": False,
        "path": str(path),
        "problem": "expired",
        "sources": [],
    }
    table = fields(portal("license", "verify", str(path), "--ignore-license-error").stdout)
    assert table["sources"] == "basic only" and table["problem"] == "expired"


def test_a_file_not_yet_valid_within_skew_passes_beyond_it_fails(portal, home, license, tenant_a):
    now = int(time.time())
    path = home / "future.lic"
    path.write_text(
        signed(tenant_a, license, issued_at=now, not_before=now + 3600, license_ends_at=now + 30 * DAY)
    )
    assert portal("license", "verify", str(path)).returncode == NOT_YET_VALID
    path.write_text(
        signed(tenant_a, license, issued_at=now, not_before=now + 240, license_ends_at=now + 30 * DAY)
    )
    assert portal("license", "verify", str(path)).returncode == 0  # 4 minutes ahead: within the 5 allowed


def test_no_file_a_malformed_file_and_an_unknown_key_each_have_their_code(portal, home, license, tenant_a):
    missing = portal("license", "verify")
    assert missing.returncode == NO_FILE
    default = home / ".ilmnAnnotations" / "premium.lic"
    assert missing.stderr == f"portal: No premium.lic at {default}: run `portal license fetch`.\n"
    garbage = home / "garbage.lic"
    garbage.write_text("not a license\n")
    assert portal("license", "verify", str(garbage)).returncode == MALFORMED

    stranger = premiumlic.new_signing_key()  # a key the portal never published
    now = int(time.time())
    forged = home / "forged.lic"
    forged.write_text(signed(tenant_a, license, stranger, issued_at=now, license_ends_at=now + DAY))
    done = portal("license", "verify", str(forged))
    assert done.returncode == UNKNOWN_KEY and stranger.kid in done.stderr
    assert offline("license", "verify", str(forged), home=home).returncode == UNKNOWN_KEY


def test_keys_are_fetched_once_then_again_only_for_a_kid_not_yet_seen(portal, home, license, tenant_a):
    path = home / "premium.lic"
    now = int(time.time())
    path.write_text(signed(tenant_a, license, issued_at=now, license_ends_at=now + 30 * DAY))
    cache = home / ".portal" / "premium-license-keys.json"
    assert portal("license", "verify", str(path)).returncode == 0
    server_url = next(iter(json.loads(cache.read_text())))
    stale = {
        server_url: {"fetched_at": 0, "jwks": premiumlic.jwks([premiumlic.new_signing_key().public_key])}
    }
    cache.write_text(json.dumps(stale))  # as before the portal rotated its key
    assert portal("license", "verify", str(path)).returncode == 0  # a kid not seen: fetched again
    assert keyring.current().signing.kid in cache.read_text()
    assert offline("license", "verify", str(path), home=home).returncode == 0
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


def test_a_public_key_given_verifies_without_any_server(portal, home, license, tenant_a):
    path = home / "premium.lic"
    now = int(time.time())
    path.write_text(signed(tenant_a, license, issued_at=now, license_ends_at=now + 30 * DAY))
    jwks = home / "keys.json"
    jwks.write_text(json.dumps(keyring.current().jwks))
    assert offline("license", "verify", str(path), "--public-key", str(jwks), home=home).returncode == 0
    pem = home / "key.pem"
    pem.write_bytes(
        keyring.current().signing.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert offline("license", "verify", str(path), "--public-key", str(pem), home=home).returncode == 0
    other = home / "other.json"
    other.write_text(json.dumps(premiumlic.jwks([premiumlic.new_signing_key().public_key])))
    assert (
        offline("license", "verify", str(path), "--public-key", str(other), home=home).returncode
        == UNKNOWN_KEY
    )


def test_online_a_revoked_license_fails_though_the_file_still_verifies(
    portal, annotations, license, alice, tenant_a
):
    (annotations / "credentials.json").write_text(json.dumps({"DragenSerialNo": "SN-LAB-1"}))
    assert portal("license", "fetch").returncode == 0
    online = portal("license", "verify", "--online", "-o", "json")
    assert online.returncode == 0 and json.loads(online.stdout)["online"] == "valid"
    rows = {row["source"]: row["status"] for row in json.loads(online.stdout)["by_source"]}
    assert rows == {"COSMIC": "granted", "SpliceAI": "granted", "OMIM": "not_in_license",
                    "PrimateAI-3D": "not_in_license", "PromoterAI": "not_in_license"}  # fmt: skip
    table = portal("license", "verify", "--online").stdout
    assert re.search(r"^COSMIC +granted +\d{4}-", table, re.M), table
    assert re.search(r"^OMIM +not in license *$", table, re.M), table
    services.license_revoke(license=license, by=actor(alice, tenant_a))
    assert portal("license", "verify").returncode == 0  # offline, the file alone still holds
    refused = portal("license", "verify", "--online")
    assert refused.returncode == REFUSED_ONLINE and "LICENSE_REVOKED" in refused.stderr


def test_byol_from_dragen_credentials_txt_and_where_the_file_is_written(
    portal, home, license, alice, tenant_a
):
    byol = credential_services.credential_add(
        license=license, by=actor(alice, tenant_a), method="byol"
    ).secrets
    creds = home / "dragen_credentials.txt"
    creds.write_text(f"credentials-1 = {byol['api_key']}\ncredentials-2 = {byol['api_secret']}\n")
    done = portal("license", "fetch", "--lic-credentials", str(creds), "-o", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["method"] == "byol"
    assert (
        home / ".ilmnAnnotations" / "premium.lic"
    ).exists()  # no credentials.json given: the default place

    run_dir = home / "run"
    run_dir.mkdir()
    (run_dir / "credentials.json").write_text(
        json.dumps({"ApiKey": byol["api_key"], "ApiSecret": byol["api_secret"]})
    )
    assert portal("license", "fetch", "-l", str(run_dir / "credentials.json")).returncode == 0
    assert (run_dir / "premium.lic").exists()  # beside the active credentials.json
    elsewhere = home / "out"
    assert (
        portal(
            "license", "fetch", "-l", str(run_dir / "credentials.json"), "--dir", str(elsewhere)
        ).returncode
        == 0
    )
    assert (elsewhere / "premium.lic").exists()


def test_explain_says_where_each_credential_came_from_and_shows_no_secret(
    portal, annotations, license, alice, tenant_a
):
    _, portal_key = make_key(alice, tenant_a)
    (annotations / "credentials.json").write_text(json.dumps({"MyIlluminaApiKey": portal_key}))
    done = portal("license", "fetch", "--explain", env={"DRAGEN_SERIAL_NUMBER": "SN-LAB-1"})
    assert done.returncode == 0, done.stderr
    assert portal_key not in done.stdout + done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    assert (
        "SN-LAB-1" in lines["DragenSerialNo"]
        and "environment DRAGEN_SERIAL_NUMBER" in lines["DragenSerialNo"]
    )
    assert (
        "(hidden, " in lines["MyIlluminaApiKey"]
        and str(annotations / "credentials.json") in lines["MyIlluminaApiKey"]
    )
    assert "not found" in lines["DragenApiKey"]
    assert "The portal decides by DRAGEN serial number" in done.stdout


def test_refusals_are_one_line_with_the_stable_code_and_nothing_is_written(
    portal, annotations, home, license, alice, tenant_a
):
    (annotations / "credentials.json").write_text(json.dumps({"DragenSerialNo": "SN-NOBODY"}))
    no_server = run_cli("license", "fetch", home=home)
    assert no_server.returncode == 1 and "No server URL: pass --server-url" in no_server.stderr
    unknown = portal("license", "fetch")
    assert unknown.returncode == 3 and unknown.stderr.endswith("(401) [INVALID_CREDENTIALS]\n")
    _, portal_key = make_key(alice, tenant_a)
    (annotations / "credentials.json").write_text(json.dumps({"MyIlluminaApiKey": portal_key}))
    basic = portal("license", "fetch")
    assert (
        basic.returncode == 4 and "[NO_PREMIUM_ENTITLEMENT]" in basic.stderr and basic.stderr.count("\n") == 1
    )
    assert not (annotations / "premium.lic").exists()

    (annotations / "credentials.json").write_text(json.dumps({"ApiKey": "byol-someone"}))
    half = portal("license", "fetch")
    assert half.returncode == 1 and "but no ApiSecret" in half.stderr
    (annotations / "credentials.json").write_text('{"DragenSerialNo": SN-1}')
    broken = portal("license", "fetch")
    assert broken.stderr.startswith(f"portal: {annotations / 'credentials.json'}, line 1: not valid JSON")
    (annotations / "credentials.json").unlink()
    nothing = portal("license", "fetch")
    assert nothing.returncode == 1 and "No license credentials found" in nothing.stderr


def test_status_sums_up_credentials_file_and_validity(portal, annotations, license, home):
    (annotations / "credentials.json").write_text(json.dumps({"DragenSerialNo": "SN-LAB-1"}))
    none_yet = portal("license", "status", "-o", "json")
    assert none_yet.returncode == NO_FILE
    assert json.loads(none_yet.stdout)["problem"] == "no file"
    assert portal("license", "fetch").returncode == 0
    done = portal("license", "status", "-o", "json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["valid"] is True and status["for_these_credentials"] is True
    assert status["decides"] == "DRAGEN serial number" and status["sources"] == ["COSMIC", "SpliceAI"]
    table = portal("license", "status").stdout
    assert "SN-LAB-1" in table and "environment" not in table
    assert fields(table.split("\n\n")[1])["for_these_credentials"] == "yes"


def test_online_a_file_superseded_by_a_cut_in_sources_fails_and_says_what_holds_now(
    portal, annotations, license, alice, tenant_a
):
    (annotations / "credentials.json").write_text(json.dumps({"DragenSerialNo": "SN-LAB-1"}))
    assert portal("license", "fetch").returncode == 0
    cut = client_for("localhost", alice).patch(  # tenant A is at localhost here (the server fixture)
        f"/api/licenses/{license.pk}", {"sources": ["SpliceAI"]}, content_type="application/json"
    )
    assert cut.status_code == 200
    refused = portal("license", "verify", "--online")
    assert refused.returncode == REFUSED_ONLINE
    assert "LICENSE_SUPERSEDED" in refused.stderr and "now grants SpliceAI" in refused.stderr
    assert re.search(r"^COSMIC +not in license", refused.stdout, re.M), refused.stdout  # the table too
    assert re.search(r"^SpliceAI +superseded", refused.stdout, re.M), refused.stdout
