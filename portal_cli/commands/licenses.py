"""`portal licenses list|show`: a tenant's licenses as its admins see them on the page, with each
source's own end and the grace (the tools' side is `portal license`)."""

import click

from portal_cli.errors import CliError

from .common import Call, api_command

NOT_FOUND = 5  # the exit code of a 404, for a name that matches nothing
COLUMNS = ["id", "name", "status", "sources", "ends_at", "grace_days", "seats", "credential_count"]


@click.group("licenses")
def licenses() -> None:
    """The tenant's premium licenses (tenant admins)."""


@licenses.command("list")
@api_command
def licenses_list(call: Call) -> None:
    """Every license of the tenant, with its sources, end and grace."""
    call.emit(call.client.every("/api/licenses"), columns=COLUMNS)


@licenses.command("show")
@click.argument("license")
@api_command
def licenses_show(call: Call, license: str) -> None:
    """One LICENSE (its id or name): each source's end, the grace, the state."""
    call.emit(_license(call, license))


def _license(call: Call, reference: str) -> dict:
    for candidate in call.client.every("/api/licenses"):
        if reference in (candidate["id"], candidate["name"]):
            return candidate
    raise CliError(f"No license {reference!r} in this tenant.", NOT_FOUND)
