"""The REST resources: me (workgroups, apikeys and users follow)."""

import click

from .common import Call, api_command


@click.command("me")
@api_command
def me(call: Call) -> None:
    """You, in this tenant: email, name, tenant, admin or not, workgroups."""
    call.emit(call.client.get("/api/me"))


COMMANDS = [me]
