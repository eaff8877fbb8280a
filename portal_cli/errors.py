"""What the CLI says when it cannot do what was asked: one line on stderr, a non-zero exit."""


class CliError(Exception):
    """A failure to report without a traceback. `exit_code` is documented per command."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.message, self.exit_code = message, exit_code
