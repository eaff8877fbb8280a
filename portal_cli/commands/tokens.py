"""`portal tokens create|status`: the JWT the other commands use."""

from datetime import UTC, datetime

import click

from portal_cli.client import token_claims

from .common import Call, api_command


@click.group()
def tokens() -> None:
    """Trade the API key for a token, or see what the current one is."""


@tokens.command("create")
@api_command
def tokens_create(call: Call) -> None:
    """Exchange the API key for a new JWT, print it and cache it for the other commands."""
    answer = call.client.exchange_key()
    if call.table:
        click.echo(answer["token"])  # so that TOKEN=$(portal tokens create) works
    else:
        call.emit(answer)


@tokens.command("status")
@api_command
def tokens_status(call: Call) -> None:
    """Who the token is for, its tenant and workgroups, and when the token and the key expire."""
    claims = token_claims(call.client.access_token())
    me = call.client.get("/api/me")
    key_expires = None
    if claims.get("akid"):
        key_expires = call.client.get(f"/api/apikeys/{claims['akid']}").get("expires_at")
    call.emit(
        {
            "user": me["email"],
            "tenant": f"{me['tenant']['name']} ({me['tenant']['domain']})",
            "workgroups": [workgroup["name"] for workgroup in me["workgroups"]],
            "token_expires_at": _iso(claims.get("exp")),
            "key_expires_at": key_expires,
            "key_id": claims.get("akid"),
        }
    )


def _iso(seconds) -> str | None:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat() if seconds else None
