"""`portal license request|install`: licensing a server with no network, by hand and USB stick.

`request` writes what the portal needs to issue this server's premium.lic: the credential's method
and public identifier, never its secret (a BYOL password or DRAGEN API key is proven by an HMAC of
the challenge shown on the license page), this tool's version and this server's clock. A tenant
admin uploads it on the license page and brings premium.lic back; `install` checks that file as
the tools will, offline, and puts it where they look. Neither command opens a connection."""

import platform
import time
from pathlib import Path

import click

import premiumlic
import premiumreq
from portal_cli import __version__, discovery, licensefile, settings
from portal_cli.errors import CliError

from .common import Call, api_command
from .license import FILE_NAME, check_presentable, credential_options

REQUEST_NAME = "premium.lic-request.json"


@click.command("request")
@credential_options
@click.option(
    "--challenge", metavar="CODE", help="The code on the license page: proves a BYOL or DRAGEN API key."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Where to write it (default ./{REQUEST_NAME}).",
)
@api_command(auth=False)
def license_request(call: Call, credentials_file, lic_credentials, api_key_file, challenge, out) -> None:
    """Write an activation request for the credentials found here (no network needed).

    Take the file to a tenant admin of the portal: on the license's page, "Offline activation"
    reads it and gives premium.lic back; then run `portal license install premium.lic` here.
    """
    found = discovery.discover(
        credentials_file=credentials_file, lic_credentials=lic_credentials, api_key_file=api_key_file
    )
    check_presentable(found)
    method, identifier, secret = _credential(found)
    if secret and not challenge:
        click.echo(
            "portal: warning: without --challenge (the code on the license page) the admin must "
            "confirm by hand that this request comes from this server.",
            err=True,
        )
    if challenge and not premiumreq.CHALLENGE.fullmatch(premiumreq.normal_challenge(challenge)):
        raise CliError(
            f"{challenge!r} is not a challenge from the license page: 16 letters A-Z and digits 2-7."
        )
    body = premiumreq.build(
        method=method,
        identifier=identifier,
        tool=f"portal {__version__}",
        clock=int(time.time()),
        host=platform.node() or "unknown",
        challenge=challenge or "",
        digest=premiumreq.secret_digest(secret) if secret and challenge else "",
    )
    path = (out or Path(REQUEST_NAME)).absolute()
    settings.write_private(path, premiumreq.dumps(body))
    call.emit({"written": str(path), "method": method, "credential": identifier, "proof": "proof" in body})


@click.command("install")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@credential_options
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), help="Install here instead."
)
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The portal's keys (PEM, JWK or its premium-license-keys.json), if none are cached here.",
)
@api_command(auth=False)
def license_install(call: Call, file: Path, credentials_file, lic_credentials, api_key_file, directory,
                    public_key) -> None:  # fmt: skip
    """Check FILE offline as the tools will, then install it as premium.lic beside the credentials.

    Refused, and nothing written: a file that does not verify (its exit code as `verify`'s), or one
    issued for another credential than the one found here.
    """
    found = discovery.discover(
        credentials_file=credentials_file, lic_credentials=lic_credentials, api_key_file=api_key_file
    )
    if not found.fields:
        raise CliError(
            "No license credentials found here: install checks that the file is for the credentials "
            f"the tools present (a credentials.json in {discovery.annotations_home()}, or -l FILE)."
        )
    method, identifier, _ = _credential(found)
    path = (directory or found.directory).absolute() / FILE_NAME
    text = licensefile.read_license(file)
    keys = licensefile.Keys(public_key=public_key)  # given, or cached here: never fetched
    payload = licensefile.genuine(text, str(file), keys)  # nothing written before it is known to be ours
    if not _for(payload, method, identifier):
        raise CliError(
            f"{file} was issued for another credential than the one found here "
            f"({discovery.METHODS[found.deciding][1]}): nothing installed."
        )
    verified = licensefile.verify(text, path, keys, name=str(file))
    settings.write_private(path, text)
    if public_key:
        licensefile.remember_keys(public_key)
    call.emit({"installed": str(path), **{k: v for k, v in verified.summary().items() if k != "path"}})


def _for(payload: dict, method: str, identifier: str) -> bool:
    """Whether a file names this credential: its method, and for a serial number or a BYOL user id
    its fingerprint (a DRAGEN API key's is the portal's own id for it, unknown here)."""
    if payload["method"] != method:
        return False
    return method == "dragen_api_key" or payload["cred"] == premiumlic.credential_fingerprint(identifier)


def _credential(found: discovery.Discovered) -> tuple[str, str, str]:
    """(method, public identifier, secret or "") of the deciding credential."""
    deciding = found.deciding
    fields = {name: item.value for name, item in found.fields.items()}
    if deciding == discovery.SERIAL:
        return "dragen_serial", fields[discovery.SERIAL], ""
    if deciding == discovery.BYOL_ID:
        return "byol", fields[discovery.BYOL_ID], fields[discovery.BYOL_SECRET]
    if deciding == discovery.DRAGEN_KEY:
        key = fields[discovery.DRAGEN_KEY]
        return "dragen_api_key", key[: len("dak_") + 4], key
    raise CliError("A portal API key gives basic sources only: there is no premium license to activate.")
