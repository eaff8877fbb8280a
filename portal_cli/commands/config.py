"""`portal config set|get|reset`: the settings file, ~/.portal/config.yaml."""

import sys

import click
import httpx
import yaml

from portal_cli import client, settings
from portal_cli.errors import CliError


@click.group()
def config() -> None:
    """Set, show or remove the CLI's settings (~/.portal/config.yaml)."""


@config.command("set")
@click.option("--server-url", metavar="URL", help="Your tenant's address, e.g. https://acme.portal.example")
@click.option("--x-api-key", metavar="KEY", help="An API key from the Manage API Keys page (pak_...)")
@click.option("--output-format", type=click.Choice(settings.OUTPUT_FORMATS), help="Default: table")
@click.option("--colormode", type=click.Choice(settings.COLORMODES), help="Default: none")
def config_set(server_url, x_api_key, output_format, colormode) -> None:
    """Ask for each setting (Enter keeps the value in brackets); flags answer without asking."""
    current = {**settings.DEFAULTS, **settings.load_config()}
    ask = sys.stdin.isatty()  # a script without a terminal keeps what it does not pass
    values = {
        "server-url": server_url or _ask_url(current["server-url"], ask),
        "x-api-key": x_api_key or _ask_key(current["x-api-key"], ask),
        "output-format": output_format or _ask_choice("output-format", current, settings.OUTPUT_FORMATS, ask),
        "colormode": colormode or _ask_choice("colormode", current, settings.COLORMODES, ask),
    }
    _check_url(values["server-url"])
    _check_key(values["x-api-key"])
    values["sign-in"] = _sign_in(values["server-url"]) or current.get("sign-in", "")
    path = settings.save_config(values)
    click.echo(f"Saved {path} (the API key encrypted).")
    if values["sign-in"] == "sso-only" or (values["sign-in"] == "sso" and not values["x-api-key"]):
        click.echo("This tenant signs in through its organisation's single sign-on: run `portal login`.")


def _sign_in(server_url: str) -> str:
    """How the tenant at this address signs in (GET /api/sign-in), or "" when it cannot say."""
    try:
        response = client.http_client().get(server_url.rstrip("/") + "/api/sign-in")
        said = response.json() if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return ""
    if not isinstance(said, dict) or not said.get("sso"):
        return "password" if isinstance(said, dict) and said.get("password") else ""
    return "sso" if said.get("password") else "sso-only"


def _ask_url(current: str, ask: bool) -> str:
    if not ask:
        return current
    return click.prompt("server-url", default=current or None, show_default=bool(current)).strip()


def _ask_key(current: str, ask: bool) -> str:
    if not ask:
        return current
    hint = f" [{current[:8]}..., Enter keeps it]" if current else ""
    answer = click.prompt(f"x-api-key{hint}", default="", hide_input=True, show_default=False)
    return answer.strip() or current


def _ask_choice(name: str, current: dict, choices: tuple, ask: bool) -> str:
    if not ask:
        return current[name]
    return click.prompt(name, default=current[name], type=click.Choice(choices), show_choices=True)


def _check_url(url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise CliError(f"server-url must start with https:// (or http://), not {url!r}.")


def _check_key(key: str) -> None:
    if key and (not key.startswith("pak_") or any(character.isspace() for character in key)):
        raise CliError("x-api-key must be a Portal API key (pak_...), as the Manage API Keys page shows it.")


@config.command("get")
def config_get() -> None:
    """Print the settings; the API key as it is stored, encrypted."""
    stored = settings.read_config_file()
    if not stored:
        raise CliError(f"No settings yet ({settings.config_path()}): run `portal config set`.")
    shown = {name: stored.get(name, settings.DEFAULTS[name]) for name in settings.DEFAULTS}
    shown["access-token"] = client.cached_session().get("access-token", "")
    click.echo(yaml.safe_dump(shown, sort_keys=False).rstrip())


@config.command("reset")
def config_reset() -> None:
    """Delete the settings, their cipher key and the cached token."""
    removed = settings.reset()
    click.echo("Removed " + ", ".join(map(str, removed)) if removed else "Nothing to remove.")
