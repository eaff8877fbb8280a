"""Printing answers as a table, YAML or JSON. JSON is exactly the API's data, for `jq`."""

import json

import click
import yaml
from tabulate import tabulate

# Header colours per terminal background; "none" prints no escape codes at all.
HEADER_STYLE = {"dark": {"fg": "bright_cyan", "bold": True}, "light": {"fg": "blue", "bold": True}}


def emit(
    data, *, output_format: str, colormode: str, columns: list[str] | None = None, cells: dict | None = None
) -> None:
    if output_format == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif output_format == "yaml":
        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip())
    else:
        click.echo(table(data, colormode=colormode, columns=columns, cells=cells))


def table(
    data, *, colormode: str = "none", columns: list[str] | None = None, cells: dict | None = None
) -> str:
    """A list of objects as rows (`columns` chosen, else every key); one object as field/value.
    `cells` maps a column to how its values read in a table (JSON and YAML keep the API's data)."""
    style = HEADER_STYLE.get(colormode)

    def head(text: str) -> str:
        return click.style(text, **style) if style else text

    shown = cells or {}
    if isinstance(data, dict):
        rows = [(head(key), _cell(shown.get(key, _same)(value))) for key, value in data.items()]
        return tabulate(rows, tablefmt="plain")
    if not data:
        return "(none)"
    columns = columns or list(dict.fromkeys(key for row in data for key in row))
    rows = [[_cell(shown.get(column, _same)(row.get(column))) for column in columns] for row in data]
    return tabulate(rows, headers=[head(column) for column in columns], tablefmt="simple")


def _same(value):
    return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_cell(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}={_cell(item)}" for key, item in value.items())
    return str(value)
