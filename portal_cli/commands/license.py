"""`portal license fetch|verify|status`: premium.lic for the annotation tools.

`fetch` finds credentials as the tools do (`portal_cli.discovery`), trades them for a premium.lic
at the portal's licensing endpoint (no API key needed), checks the signature, and writes the file
beside the active credentials.json. `verify` checks a file offline; `status` sums both up.
"""

import email.utils
import hashlib
import time
from pathlib import Path

import click

from portal_cli import discovery, licensefile, output, settings
from portal_cli import revocations as revocation_list
from portal_cli.errors import CliError

from .common import Call, api_command

FILE_NAME = "premium.lic"


@click.group("license")
def license_group() -> None:
    """Fetch, verify and inspect premium.lic, the file the annotation tools read."""


def credential_options(function):
    """Where the credentials are, as the annotation tools take them on their command line."""
    options = [
        click.option(
            "-l", "--credentials-file", type=click.Path(path_type=Path), help="A credentials.json to use."
        ),
        click.option(
            "--lic-credentials",
            type=click.Path(path_type=Path),
            help="A dragen_credentials.txt (credentials-1=<user id>, credentials-2=<password>).",
        ),
        click.option("--api-key-file", type=click.Path(path_type=Path), help="A dragen_api_key.txt."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@license_group.command("fetch")
@credential_options
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write premium.lic here instead of beside the credentials.json.",
)
@click.option("--explain", is_flag=True, help="Also show where each credential came from (never secrets).")
@api_command(auth=False)
def license_fetch(
    call: Call, credentials_file, lic_credentials, api_key_file, directory: Path | None, explain: bool
) -> None:
    """Download premium.lic for the credentials found, check it, and write it (mode 0600).

    Credentials are looked for as the annotation tools do, each field from the first place that has
    it: these options; then MY_ILLUMINA_API_KEY, DRAGEN_SERIAL_NUMBER, DRAGEN_API_KEY_VALUE,
    DRAGEN_API_KEY_FILE, NIRVANA_API_KEY, NIRVANA_API_SECRET, DRAGEN_LICENSE_CREDENTIALS_FILE;
    then credentials.json, dragen_api_key.txt and dragen_credentials.txt in ~/.ilmnAnnotations.
    """
    found = discovery.discover(
        credentials_file=credentials_file, lic_credentials=lic_credentials, api_key_file=api_key_file
    )
    if explain and call.table:
        _print_explanation(call, found)
    check_presentable(found)
    if not call.config.server_url:
        raise CliError(
            "No server URL: pass --server-url https://<your portal>, set PORTAL_SERVER_URL, or keep it "
            "with `portal config set --server-url ...` (licenses need no API key)."
        )
    response = call.client.send(
        "POST", "/api/licensing/premium.lic", json=found.body(), headers={"Accept": "text/plain"}
    )
    path = (directory or found.directory).absolute() / FILE_NAME
    keys = licensefile.Keys(server_url=call.config.server_url, http=call.client.http)
    # Checked as the tools will check it before it is kept: a file that would fail is not written.
    verified = licensefile.verify(
        response.text,
        path,
        keys,
        name=f"The premium.lic {call.config.server_url} sent",
        server_time=_server_time(response.headers.get("Date")),
    )
    settings.write_private(path, response.text)
    summary = verified.summary()
    result = {"written": summary.pop("path"), **summary}
    if explain and not call.table:
        result["credentials"] = found.explain()
    call.emit(result)


def _server_time(date: str | None) -> float | None:
    """The server's clock from its `Date` header, for the high-water mark (None if unreadable)."""
    try:
        return email.utils.parsedate_to_datetime(date).timestamp() if date else None
    except (TypeError, ValueError):
        return None


@license_group.command("verify")
@click.argument("path", required=False, type=click.Path(dir_okay=True, path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Verify with this key (PEM, JWK or JWKS) instead of the portal's published ones.",
)
@click.option(
    "--online", is_flag=True, help="Also ask the portal whether the license still holds, source by source."
)
@click.option(
    "--revocations",
    metavar="FILE|URL",
    help="Also check the portal's signed revocation list (kept: later checks use the newest seen).",
)
@click.option(
    "--ignore-license-error",
    is_flag=True,
    help="Report a failure as a warning and exit 0, with basic sources only.",
)
@api_command(auth=False)
def license_verify(
    call: Call,
    path: Path | None,
    public_key: Path | None,
    online: bool,
    revocations: str | None,
    ignore_license_error: bool,
) -> None:
    """Check PATH (default ~/.ilmnAnnotations/premium.lic) offline: armour, signature, type, dates.

    \b
    Exit codes:
      10 no file          13 not yet valid
      11 malformed        14 expired (past any grace)
      12 bad signature    15 unknown key
      16 refused by the portal (--online)
      17 expired but inside its grace: usable, with a warning
      18 the clock is behind the newest time seen beside the file
      19 an older file (lower seq) than one seen for its credential
      20 on the revocation list (this one, or the newest seen before)
    """
    path = (path or discovery.annotations_home() / FILE_NAME).absolute()
    try:
        summary = _verify(call, path, public_key, online, revocations)
    except licensefile.LicenseProblem as failure:
        if not ignore_license_error:
            raise
        click.echo(f"portal: warning: {failure.message} Continuing with basic sources only.", err=True)
        summary = {"valid": False, "path": str(path), "problem": failure.problem, "sources": []}
        call.emit(summary, cells={"sources": lambda sources: sources or "basic only"})
        return
    _emit_with_sources(call, summary)
    if summary.get("in_grace"):
        _warn_grace(summary)
        if not ignore_license_error:  # which promises pipelines exit 0
            raise CliError("", licensefile.IN_GRACE)


@license_group.command("status")
@credential_options
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), help="Where premium.lic is."
)
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--online", is_flag=True, help="Also ask the portal whether the license still holds, source by source."
)
@api_command(auth=False)
def license_status(
    call: Call, credentials_file, lic_credentials, api_key_file, directory, public_key, online: bool
) -> None:
    """The credentials found (and where), the premium.lic beside them, and whether it holds.

    Exits 0 when the file holds; otherwise with `verify`'s code (17: inside its grace).
    """
    found = discovery.discover(
        credentials_file=credentials_file, lic_credentials=lic_credentials, api_key_file=api_key_file
    )
    path = (directory or found.directory).absolute() / FILE_NAME
    deciding = found.deciding
    status = {
        "decides": discovery.METHODS[deciding][1] if deciding else "no credentials found",
        "path": str(path),
    }
    failure = None
    try:
        summary = _verify(call, path, public_key, online)
    except licensefile.LicenseProblem as problem:
        failure = problem
        status.update(valid=False, problem=problem.problem, detail=problem.message)
    else:
        status.update(summary)
        status["for_these_credentials"] = _matches(found, summary)
    if call.table:
        _print_explanation(call, found)
        click.echo()
        _emit_with_sources(call, status)
    else:
        call.emit({"credentials": found.explain(), **status})
    if failure is not None:
        raise CliError("", failure.exit_code)
    if status.get("in_grace"):
        _warn_grace(status)
        raise CliError("", licensefile.IN_GRACE)


def _warn_grace(summary: dict) -> None:
    click.echo(
        f"portal: warning: {summary['path']} expired on {summary['expires_at']}; its grace lets the "
        f"tools use it until {summary['grace_until']}. Run `portal license fetch`.",
        err=True,
    )


def _verify(
    call: Call, path: Path, public_key: Path | None, online: bool, revocations: str | None = None
) -> dict:
    keys = licensefile.Keys(server_url=call.config.server_url, public_key=public_key, http=call.client.http)
    text = licensefile.read_license(path)
    verified = licensefile.verify(text, path, keys)
    summary = verified.summary()
    listed = revocation_list.newest(revocations, keys, call.client.http)
    revocation_list.check(listed, verified.payload, str(path))
    if listed is not None:
        summary["revocations"] = listed.summary(time.time())
    if online:
        answer = call.client.json_of(
            call.client.send(
                "POST",
                "/api/licensing/validate",
                content=text.encode(),
                headers={"Content-Type": "text/plain"},
            )
        )
        rows = answer.get("by_source") or []
        if not answer.get("valid"):
            if rows and call.table:
                _print_sources(call, rows)
            raise licensefile.LicenseProblem(_refusal(path, answer), licensefile.REFUSED_ONLINE)
        summary.update(online="valid", by_source=rows)
    return summary


def _emit_with_sources(call: Call, data: dict) -> None:
    """`data`, and in a table its `by_source` rows (the portal's answer per source) as a second
    table; JSON and YAML keep them in place."""
    rows = data.pop("by_source", None) if call.table else None
    call.emit(data)
    if rows:
        click.echo()
        _print_sources(call, rows)


def _print_sources(call: Call, rows: list[dict]) -> None:
    shown = {"status": lambda status: status.replace("_", " "), "ends_at": lambda end: end or ""}
    call.emit(rows, columns=["source", "status", "ends_at"], cells=shown)


def _refusal(path: Path, answer: dict) -> str:
    code = answer.get("code") or "invalid"
    if code == "LICENSE_SUPERSEDED":
        now = ", ".join(answer.get("sources") or []) or "no premium sources"
        return (
            f"The portal refuses {path}: {code}: a newer file replaces it; the license now grants "
            f"{now}. Run `portal license fetch`."
        )
    return f"The portal refuses {path}: {code}."


def check_presentable(found: discovery.Discovered) -> None:
    """Say what is missing before the portal has to."""
    if not found.fields:
        raise CliError(
            "No license credentials found: put a credentials.json in "
            f"{discovery.annotations_home()}, set DRAGEN_SERIAL_NUMBER (or another variable in "
            "`portal license fetch --help`), or pass --credentials-file."
        )
    if found.deciding == discovery.BYOL_ID:
        half = {discovery.BYOL_ID, discovery.BYOL_SECRET} - set(found.fields)
        if half:
            (missing,) = half
            have = (set(found.fields) & {discovery.BYOL_ID, discovery.BYOL_SECRET}).pop()
            raise CliError(
                f"Found {have} ({found.fields[have].source}) but no {missing}: BYOL credentials are the "
                "user id and password together (credentials-1 and credentials-2)."
            )


def _matches(found: discovery.Discovered, summary: dict) -> bool | None:
    """Whether the file was issued for the deciding credential: its `cred` is the SHA-256 of the
    serial number or BYOL user id. None when that cannot be told here (a DRAGEN API key's id is
    the portal's)."""
    deciding = found.deciding
    if deciding in (discovery.SERIAL, discovery.BYOL_ID) and deciding in found.fields:
        identifier = found.fields[deciding].value
        return summary["credential_sha256"] == hashlib.sha256(identifier.encode()).hexdigest()
    if deciding == discovery.DRAGEN_KEY:
        return None
    return False


def _print_explanation(call: Call, found: discovery.Discovered) -> None:
    deciding = found.deciding
    click.echo(output.table(found.explain(), colormode=call.config.colormode))
    if deciding:
        click.echo(f"The portal decides by {discovery.METHODS[deciding][1]}: the highest priority found.")
