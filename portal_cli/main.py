"""The `portal` command: `portal config|tokens|me|...`; `portal --help` lists them.

Every failure the user can cause or meet (no config, a server that is down, a refused key, a
malformed file) ends as one line on stderr and a non-zero exit, never a traceback.
"""

import os
import sys

import click

from portal_cli import __version__
from portal_cli.commands import activation, config, license, licenses, login, resources, tokens
from portal_cli.errors import CliError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="portal")
def portal() -> None:
    """Portal from a terminal: API keys, tokens, workgroups and premium licenses."""


portal.add_command(config.config)
portal.add_command(tokens.tokens)
portal.add_command(login.login)
for command in resources.COMMANDS:
    portal.add_command(command)
portal.add_command(license.license_group)
license.license_group.add_command(activation.license_request)
license.license_group.add_command(activation.license_install)
portal.add_command(licenses.licenses)


def main() -> None:
    try:
        portal.main(prog_name="portal", standalone_mode=False)
    except CliError as error:
        if error.message:  # empty when the command has said what went wrong itself
            click.echo(f"portal: {error.message}", err=True)
        sys.exit(error.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("portal: aborted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except Exception as bug:  # a bug of ours: one line, and the traceback only when asked for
        if os.environ.get("PORTAL_DEBUG"):
            raise
        click.echo(
            f"portal: unexpected {type(bug).__name__}: {bug} (set PORTAL_DEBUG=1 for details)", err=True
        )
        sys.exit(1)
