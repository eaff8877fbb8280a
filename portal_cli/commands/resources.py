"""The REST resources: me, workgroups (and their members), API keys, users.

Lists follow every page and print the items: `-o json` is the API's `results`, one array, so
`portal apikeys list -o json | jq '.[].name'` works whatever the count. Things are named by id, or
by what a person knows them by (a workgroup's name, a key's name or prefix, a user's email).
"""

import datetime
import sys
import uuid

import click

from portal_cli.errors import CliError

from .common import Call, api_command

NOT_FOUND = 5  # the exit code of a 404, for a name that matches nothing


@click.command("me")
@api_command
def me(call: Call) -> None:
    """You, in this tenant: email, name, tenant, admin or not, workgroups."""
    call.emit(call.client.get("/api/me"))


# Workgroups

WORKGROUP_COLUMNS = ["id", "name", "member_count", "created_at"]
MEMBER_COLUMNS = ["id", "email", "full_name", "role", "added_at"]


@click.group()
def workgroups() -> None:
    """List, create and delete workgroups; see and change their members."""


@workgroups.command("list")
@api_command
def workgroups_list(call: Call) -> None:
    """The workgroups you can see (all of them for a tenant admin)."""
    call.emit(call.client.every("/api/workgroups"), columns=WORKGROUP_COLUMNS)


@workgroups.command("create")
@click.argument("name")
@api_command
def workgroups_create(call: Call, name: str) -> None:
    """Create a workgroup called NAME (tenant admins)."""
    call.emit(call.client.call("POST", "/api/workgroups", json={"name": name}))


@workgroups.command("delete")
@click.argument("workgroup")
@click.option("-y", "--yes", is_flag=True, help="Do not ask; needed without a terminal.")
@api_command
def workgroups_delete(call: Call, workgroup: str, yes: bool) -> None:
    """Delete WORKGROUP (its id or name; tenant admins). Its members stay in the tenant."""
    found = _workgroup(call, workgroup)
    _confirm(f"Delete workgroup {found['name']!r} ({found['member_count']} members)?", yes)
    call.client.call("DELETE", f"/api/workgroups/{found['id']}")
    click.echo(f"Deleted workgroup {found['name']!r}.", err=True)


@workgroups.command("members")
@click.argument("workgroup")
@click.option("--add", "adds", multiple=True, metavar="USER", help="Add a user (email or id); repeatable.")
@click.option("--remove", "removes", multiple=True, metavar="USER", help="Remove a member; repeatable.")
@click.option(
    "--role", type=click.Choice(["member", "admin"]), default="member", show_default=True, help="For --add."
)
@api_command
def workgroups_members(call: Call, workgroup: str, adds, removes, role: str) -> None:
    """The members of WORKGROUP (id or name), after any --add and --remove."""
    found = _workgroup(call, workgroup)
    path = f"/api/workgroups/{found['id']}/members"
    for user in adds:
        call.client.call("POST", path, json={"user_id": _user_id(call, user), "role": role})
    if removes:
        members = call.client.every(path)
        for user in removes:
            member = _one(members, user, "member", ("id", "email"), f"workgroup {found['name']!r}")
            call.client.call("DELETE", f"{path}/{member['id']}")
    call.emit(call.client.every(path), columns=MEMBER_COLUMNS)


def _workgroup(call: Call, reference: str) -> dict:
    if _is_uuid(reference):
        return call.client.get(f"/api/workgroups/{reference}")
    return _one(call.client.every("/api/workgroups"), reference, "workgroup", ("name",))


def _user_id(call: Call, reference: str) -> str:
    if _is_uuid(reference):
        return reference
    try:
        users = call.client.every("/api/users", q=reference)
    except CliError as error:
        if error.exit_code == 4:  # 403: only tenant admins list users
            raise CliError(
                f"Give {reference}'s user id: finding users by email needs a tenant admin.", 4
            ) from None
        raise
    return _one(users, reference, "user", ("email",), "this tenant")["id"]


# API keys

APIKEY_COLUMNS = ["id", "name", "prefix", "status", "workgroups", "expires_at", "last_used_at"]
TENANT_APIKEY_COLUMNS = ["id", "owner", "name", "prefix", "status", "expires_at", "last_used_at"]
OVERLAPS = ["none", "1h", "24h", "7d"]


@click.group()
def apikeys() -> None:
    """List, create, revoke and regenerate API keys."""


@apikeys.command("list")
@click.option(
    "--status", type=click.Choice(["active", "expired", "revoked"]), help="Only keys in this state."
)
@click.option("--tenant", "whole_tenant", is_flag=True, help="Every key in the tenant (tenant admins).")
@api_command
def apikeys_list(call: Call, status: str | None, whole_tenant: bool) -> None:
    """Your API keys (revoked and expired ones are kept 30 days), or with --tenant everyone's."""
    if whole_tenant:
        keys = call.client.every("/api/tenant/apikeys", include_ended="true")
        if status:
            keys = [key for key in keys if key["status"] == status]
        call.emit(
            _overlaps_shown(keys) if call.table else keys,
            columns=TENANT_APIKEY_COLUMNS,
            cells={"owner": lambda owner: owner["email"]},
        )
        return
    keys = call.client.every("/api/apikeys", **({"status": status} if status else {}))
    cells = {}
    if call.table and any(key["workgroups"] != "all" for key in keys):
        names = {wg["id"]: wg["name"] for wg in call.client.every("/api/workgroups")}
        cells["workgroups"] = lambda scope: scope if scope == "all" else [names.get(i, i) for i in scope]
    call.emit(_overlaps_shown(keys) if call.table else keys, columns=APIKEY_COLUMNS, cells=cells)


def _overlaps_shown(keys: list[dict]) -> list[dict]:
    """An old key in its regeneration overlap reads as such, never as one more plain active key."""
    return [
        {**key, "status": f"old key, works until {key['expires_at'][:16].replace('T', ' ')} UTC"}
        if key["status"] == "active" and key.get("replaced_by")
        else key
        for key in keys
    ]


@apikeys.command("create")
@click.argument("name")
@click.option(
    "-w",
    "--workgroup",
    "workgroups",
    multiple=True,
    metavar="WORKGROUP",
    help="Limit the key to this workgroup (id or name); repeatable. Default: all your workgroups.",
)
@click.option(
    "--expires",
    metavar="WHEN",
    help="ISO 8601: a date (the key ends as it begins, 00:00 UTC) or a time with its zone; "
    "default: the tenant's longest.",
)
@click.option(
    "--from",
    "networks",
    multiple=True,
    metavar="CIDR",
    help="Only usable (and its tokens) from this network, e.g. 192.0.2.0/24; repeatable. Default: "
    "wherever the tenant allows.",
)
@api_command
def apikeys_create(call: Call, name: str, workgroups, expires: str | None, networks) -> None:
    """Generate a key called NAME. The key is shown this once: store it now."""
    body = {"name": name, "workgroups": [_workgroup(call, wg)["id"] for wg in workgroups] or "all"}
    if networks:
        body["allowed_networks"] = list(networks)
    if expires:
        body["expires_at"] = _moment(expires)
    _emit_new_key(call, call.client.call("POST", "/api/apikeys", json=body))


@apikeys.command("revoke")
@click.argument("key")
@click.option("--tenant", "whole_tenant", is_flag=True, help="Any key in the tenant (tenant admins).")
@click.option("-y", "--yes", is_flag=True, help="Do not ask; needed without a terminal.")
@api_command
def apikeys_revoke(call: Call, key: str, whole_tenant: bool, yes: bool) -> None:
    """Revoke KEY (id, name or prefix): it and its tokens stop working at once."""
    found = _apikey(call, key, whole_tenant)
    _confirm(f"Revoke key {found['name']!r} ({found['prefix']}…)?", yes)
    path = "/api/tenant/apikeys" if whole_tenant else "/api/apikeys"
    call.client.call("DELETE", f"{path}/{found['id']}")
    click.echo(f"Revoked key {found['name']!r} ({found['prefix']}…).", err=True)


@apikeys.command("regenerate")
@click.argument("key")
@click.option(
    "--overlap",
    type=click.Choice(OVERLAPS),
    default="none",
    show_default=True,
    help="How long the old key keeps working, so pipelines can switch over.",
)
@api_command
def apikeys_regenerate(call: Call, key: str, overlap: str) -> None:
    """A new key with KEY's name and scope (KEY: id, name or prefix); the old one ends after --overlap."""
    found = _apikey(call, key, whole_tenant=False)
    answer = call.client.call("POST", f"/api/apikeys/{found['id']}:regenerate", json={"overlap": overlap})
    _emit_new_key(call, answer)


def _emit_new_key(call: Call, answer: dict) -> None:
    if call.table:
        click.echo(answer["key"])  # alone on stdout, so that KEY=$(portal apikeys create ci) works
        click.echo(
            f"Key {answer['name']!r} ({answer['id']}), expires {answer['expires_at']}. "
            "It is shown this once: store it now.",
            err=True,
        )
    else:
        call.emit(answer)


def _apikey(call: Call, reference: str, whole_tenant: bool) -> dict:
    if whole_tenant:
        keys = call.client.every("/api/tenant/apikeys")
    elif _is_uuid(reference):
        return call.client.get(f"/api/apikeys/{reference}")
    else:
        keys = call.client.every("/api/apikeys", status="active")
    return _one(keys, reference, "active key", ("id", "name", "prefix"))


# Users

USER_COLUMNS = ["id", "email", "full_name", "role", "is_active", "joined_at"]


@click.group()
def users() -> None:
    """The tenant's members (tenant admins)."""


@users.command("list")
@click.option("-q", "--search", metavar="TEXT", help="Only users whose email or name contains TEXT.")
@api_command
def users_list(call: Call, search: str | None) -> None:
    """Members of this tenant, their role and whether they are active."""
    params = {"q": search} if search else {}
    call.emit(call.client.every("/api/users", **params), columns=USER_COLUMNS)


# Shared


def _one(items: list[dict], reference: str, noun: str, fields, where: str = "") -> dict:
    """The one item whose id or given field equals `reference` (names case-insensitively)."""
    wanted = reference.casefold()
    matches = [item for item in items if any(str(item.get(f, "")).casefold() == wanted for f in fields)]
    place = f" in {where}" if where else ""
    if not matches:
        raise CliError(f"No {noun} {reference!r}{place}.", NOT_FOUND)
    if len(matches) > 1:
        ids = ", ".join(item["id"] for item in matches)
        raise CliError(f"{len(matches)} of your {noun}s match {reference!r}{place}: use an id ({ids}).")
    return matches[0]


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError(f"{question} Pass --yes to confirm without a terminal.", 2)
    if not click.confirm(question, default=False):
        raise click.exceptions.Abort()


def _moment(text: str) -> str:
    """A date alone means its first moment in UTC; anything else goes to the server as given."""
    try:
        return datetime.date.fromisoformat(text).isoformat() + "T00:00:00Z"
    except ValueError:
        return text


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


COMMANDS = [me, workgroups, apikeys, users]
