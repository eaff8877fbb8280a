"""What every API command shares: the four connection options and a context built from them."""

import functools
from dataclasses import dataclass

import click

from portal_cli import output, settings
from portal_cli.client import Client


@dataclass
class Call:
    """A command's resolved settings, its API client and its printer."""

    config: settings.Settings
    client: Client

    def emit(self, data, columns: list[str] | None = None, cells: dict | None = None) -> None:
        output.emit(
            data,
            output_format=self.config.output_format,
            colormode=self.config.colormode,
            columns=columns,
            cells=cells,
        )

    @property
    def table(self) -> bool:
        return self.config.output_format == "table"


def api_command(function=None, *, auth: bool = True):
    """Add -o/-s (and, unless `auth=False`, -k/-t) to a command and hand it a `Call` first."""
    if function is None:
        return functools.partial(api_command, auth=auth)

    @functools.wraps(function)
    def wrapper(**kwargs):
        flags = {name: kwargs.pop(name.replace("-", "_"), None) for name in FLAGS}
        config = settings.resolve(flags)
        return function(Call(config=config, client=Client(config)), **kwargs)

    options = [
        click.option(
            "-o", "--output-format", type=click.Choice(settings.OUTPUT_FORMATS), help="table, yaml or json"
        ),
        click.option("-s", "--server-url", metavar="URL", help="e.g. https://acme.portal.example"),
    ]
    if auth:
        options += [
            click.option("-k", "--x-api-key", metavar="KEY", help="an API key (pak_...)"),
            click.option("-t", "--access-token", metavar="JWT", help="a token to use instead of the key"),
        ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


FLAGS = ("output-format", "server-url", "x-api-key", "access-token")
