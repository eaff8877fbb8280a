"""A server with no network, licensed by USB stick: `portal license request` there (every way out of
the process leads nowhere), the request uploaded through the API by a tenant admin, and `portal
license install` there, offline, for each credential method."""

import json
import stat

import pytest
from django.test import Client

from licenses import services
from tests.cli.conftest import run_cli
from tests.helpers import actor, add, sell

NOWHERE = "http://127.0.0.1:9"  # nothing listens: a connection attempt would fail the command
OFFLINE = {"PORTAL_SERVER_URL": NOWHERE, "HTTP_PROXY": NOWHERE, "HTTPS_PROXY": NOWHERE, "ALL_PROXY": NOWHERE}


def credentials_for(license, by, method) -> tuple[str, dict]:
    """(file name, its text) as the credential's page downloads give them."""
    if method == "dragen_serial":
        add(license, by, method, serial_number="SN-USB")
        return "credentials.json", json.dumps({"DragenSerialNo": "SN-USB"})
    secrets = add(license, by, method).secrets
    if method == "byol":
        return (
            "dragen_credentials.txt",
            f"credentials-1={secrets['api_key']}\ncredentials-2={secrets['api_secret']}\n",
        )
    return "dragen_api_key.txt", secrets["key"] + "\n"


def published_keys_file(folder):
    """The portal's keys as the license page offers them, carried to the offline server."""
    path = folder / "keys.json"
    path.write_text(
        Client(HTTP_HOST="acme.localhost").get("/.well-known/premium-license-keys.json").content.decode()
    )
    return path


def activated_serial(as_alice, license, serial, path):
    """The premium.lic an admin gets for a serial number's request (confirmed), saved at `path`."""
    request = {"typ": "premium.lic-request", "v": 1, "method": "dragen_serial", "identifier": serial,
               "tool": "portal 0.1.0", "clock": 0, "host": "elsewhere"}  # fmt: skip
    body = json.dumps({"request": request, "confirmed": True})
    answer = as_alice.post(f"/api/licenses/{license.pk}/activations", body, content_type="application/json")
    path.write_text(answer.json()["file"]["premium_lic"])
    return path


@pytest.mark.parametrize("method", ["dragen_serial", "byol", "dragen_api_key"])
def test_a_disconnected_server_is_licensed_and_relicensed_from_a_usb_stick(
    annotations, home, alice, as_alice, tenant_a, method
):
    by = actor(alice, tenant_a)
    license = sell(tenant_a, by)
    name, text = credentials_for(license, by, method)
    (annotations / name).write_text(text)
    usb = home / "usb"
    usb.mkdir()
    published_keys_file(usb)
    challenge = as_alice.get(f"/api/licenses/{license.pk}/activations").json()["challenge"]

    written = run_cli("license", "request", "--challenge", challenge, "--out", str(usb / "request.json"),
                      "-o", "json", home=home, env=OFFLINE)  # fmt: skip
    assert written.returncode == 0, written.stderr
    request = json.loads((usb / "request.json").read_text())
    assert request["method"] == method and ("proof" in request) == (method != "dragen_serial")
    if method != "dragen_serial":  # the secret is proven, never carried
        secret = text.strip().splitlines()[-1].split("=")[-1]
        assert secret not in (usb / "request.json").read_text()

    for round_ in (1, 2):  # licensed, then licensed again after the license changed
        answer = as_alice.post(
            f"/api/licenses/{license.pk}/activations",
            json.dumps({"request": request, "confirmed": method == "dragen_serial"}),
            content_type="application/json",
        )
        assert answer.status_code == 201, answer.content
        (usb / "premium.lic").write_text(answer.json()["file"]["premium_lic"])
        keys = ("--public-key", str(usb / "keys.json"))
        installed = run_cli(
            "license", "install", str(usb / "premium.lic"), *keys, "-o", "json", home=home, env=OFFLINE
        )
        assert installed.returncode == 0, installed.stderr
        path = annotations / "premium.lic"
        assert path.read_text() == (usb / "premium.lic").read_text()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert json.loads(installed.stdout)["seq"] == round_
        verified = run_cli(
            "license", "verify", "--public-key", str(usb / "keys.json"), "-o", "json", home=home, env=OFFLINE
        )
        assert verified.returncode == 0, verified.stderr
        services.license_update(license=license, by=by, sources=["COSMIC"])  # the next file: seq 2


def test_a_file_for_another_credential_or_one_that_does_not_verify_is_not_installed(
    annotations, home, alice, as_alice, tenant_a
):
    by = actor(alice, tenant_a)
    license = sell(tenant_a, by)
    add(license, by, "dragen_serial", serial_number="SN-OTHER")
    (annotations / "credentials.json").write_text(json.dumps({"DragenSerialNo": "SN-HERE"}))
    keys = published_keys_file(home)
    other = activated_serial(as_alice, license, "SN-OTHER", home / "other.lic")
    refused = run_cli("license", "install", str(other), "--public-key", str(keys), home=home, env=OFFLINE)
    assert refused.returncode == 1 and "another credential" in refused.stderr
    assert not (annotations / "premium.lic").exists()

    tampered = home / "tampered.lic"
    lines = other.read_text().splitlines()
    lines[2] = lines[2][:-1] + ("A" if lines[2][-1] != "A" else "B")
    tampered.write_text("\n".join(lines) + "\n")
    broken = run_cli("license", "install", str(tampered), "--public-key", str(keys), home=home, env=OFFLINE)
    assert broken.returncode in (11, 12), broken.stderr
    assert not (annotations / "premium.lic").exists()


def test_a_portal_api_key_has_nothing_to_activate(annotations, home):
    (annotations / "credentials.json").write_text(json.dumps({"MyIlluminaApiKey": "pak_whatever"}))
    done = run_cli("license", "request", home=home, env=OFFLINE)
    assert done.returncode == 1 and "basic sources only" in done.stderr


def test_install_checks_the_method_needs_credentials_writes_nothing_refused_and_keeps_the_keys(
    annotations, home, alice, as_alice, tenant_a
):
    """Found by an attacker's review: a DRAGEN API key's server installed any valid file, and a
    refused install still moved the clock and seq guard."""
    by = actor(alice, tenant_a)
    license = sell(tenant_a, by)
    key = add(license, by, "dragen_api_key").secrets["key"]
    add(license, by, "dragen_serial", serial_number="SN-ELSE")
    keys = published_keys_file(home)
    serial_file = activated_serial(as_alice, license, "SN-ELSE", home / "serial.lic")

    def install(*extra):
        return run_cli(
            "license", "install", str(serial_file), "--public-key", str(keys), *extra, home=home, env=OFFLINE
        )

    nothing = install()  # no credentials here at all
    assert nothing.returncode == 1 and "No license credentials" in nothing.stderr
    (annotations / "dragen_api_key.txt").write_text(key + "\n")
    other = install()  # a serial number's file on a DRAGEN API key's server
    assert other.returncode == 1 and "another credential" in other.stderr
    assert sorted(p.name for p in annotations.iterdir()) == ["dragen_api_key.txt"]  # no file, no guard

    (annotations / "dragen_api_key.txt").unlink()
    (annotations / "credentials.json").write_text(json.dumps({"DragenSerialNo": "SN-ELSE"}))
    assert install().returncode == 0
    offline = run_cli("license", "verify", "-o", "json", home=home, env=OFFLINE)  # the keys were kept
    assert offline.returncode == 0, offline.stderr
