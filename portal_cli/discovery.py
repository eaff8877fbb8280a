"""Finding license credentials the way the annotation tools do.

Each `credentials.json` field comes from the first place that has it: the command line, the
environment, then the files in ~/.ilmnAnnotations/ (`credentials.json`, `dragen_api_key.txt`,
`dragen_credentials.txt` with `credentials-1=`/`credentials-2=`). The portal decides by the
highest-priority field present, so a field found lower down counts when nothing above is set. A
malformed file is an error naming the file and line; a file named by flag or variable must exist."""

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from portal_cli.errors import CliError
from premiumlic import (
    BYOL_ID,
    BYOL_SECRET,
    CREDENTIAL_FIELDS,
    CREDENTIAL_METHODS,
    DRAGEN_KEY,
    PORTAL_KEY,
    SERIAL,
)

FIELDS = CREDENTIAL_FIELDS  # in the portal's priority order, highest first
SECRETS = frozenset({BYOL_SECRET, DRAGEN_KEY, PORTAL_KEY})  # never printed
METHODS = {  # the field that decides → what the portal calls the method, and how a person does
    SERIAL: ("dragen_serial", "DRAGEN serial number"),
    BYOL_ID: ("byol", "BYOL user id and password"),
    DRAGEN_KEY: ("dragen_api_key", "DRAGEN API key"),
    PORTAL_KEY: ("portal_api_key", "portal API key (basic sources only)"),
}
DRAGEN_CREDENTIAL_KEYS = {"credentials-1": BYOL_ID, "credentials-2": BYOL_SECRET}
ENVIRONMENT = (  # in this order; a *_FILE variable names a file of the given format
    ("MY_ILLUMINA_API_KEY", PORTAL_KEY),
    ("DRAGEN_SERIAL_NUMBER", SERIAL),
    ("DRAGEN_API_KEY_VALUE", DRAGEN_KEY),
    ("DRAGEN_API_KEY_FILE", "dragen_api_key.txt"),
    ("NIRVANA_API_KEY", BYOL_ID),
    ("NIRVANA_API_SECRET", BYOL_SECRET),
    ("DRAGEN_LICENSE_CREDENTIALS_FILE", "dragen_credentials.txt"),
)
MAX_FILE = 64 * 1024


class CredentialsFileError(CliError):
    """A credentials file that cannot be read as its format says."""

    def __init__(self, path: Path, problem: str, line: int | None = None):
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Found:
    value: str
    source: str  # where it came from, for --explain: "environment DRAGEN_SERIAL_NUMBER", a path, ...


@dataclass
class Discovered:
    fields: dict[str, Found] = field(default_factory=dict)
    directory: Path = field(default_factory=Path)  # the active credentials.json's, where premium.lic goes

    @property
    def deciding(self) -> str | None:
        """The field the portal will decide by (the highest priority present), or None."""
        for _, fields in CREDENTIAL_METHODS:  # highest priority first
            if any(name in self.fields for name in fields):
                return fields[0]
        return PORTAL_KEY if PORTAL_KEY in self.fields else None

    def body(self) -> dict[str, str]:
        """What is sent to the licensing endpoint: a credentials.json of the fields found."""
        return {name: found.value for name, found in self.fields.items()}

    def explain(self) -> list[dict]:
        """One row per field: where it came from and, for public ones, its value. No secret."""
        rows = []
        for name in FIELDS:
            found = self.fields.get(name)
            if found is None:
                rows.append({"field": name, "value": "", "source": "not found"})
            else:
                shown = f"(hidden, {len(found.value)} characters)" if name in SECRETS else found.value
                rows.append({"field": name, "value": shown, "source": found.source})
        return rows


def annotations_home() -> Path:
    return Path.home() / ".ilmnAnnotations"


def discover(
    *,
    credentials_file: Path | None = None,
    lic_credentials: Path | None = None,
    api_key_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Discovered:
    environ = os.environ if environ is None else environ
    home = annotations_home()
    directory = credentials_file.parent if credentials_file else home
    found = Discovered(directory=directory.absolute())
    for source, values in _sources(credentials_file, lic_credentials, api_key_file, environ, home):
        for name, value in values():
            if name not in found.fields and value:
                found.fields[name] = Found(value, source)
    return found


def _sources(
    credentials_file, lic_credentials, api_key_file, environ, home
) -> Iterator[tuple[str, Callable]]:
    """(source, a function giving its (field, value) pairs) in the order they are consulted."""
    readers = {"dragen_api_key.txt": read_dragen_api_key, "dragen_credentials.txt": read_dragen_credentials}
    if credentials_file:
        yield f"--credentials-file {credentials_file}", lambda: read_credentials_json(credentials_file)
    if lic_credentials:
        yield f"--lic-credentials {lic_credentials}", lambda: read_dragen_credentials(lic_credentials)
    if api_key_file:
        yield f"--api-key-file {api_key_file}", lambda: read_dragen_api_key(api_key_file)
    for variable, target in ENVIRONMENT:
        value = environ.get(variable, "").strip()
        if not value:
            continue
        if target in readers:
            path, read = Path(value).expanduser(), readers[target]
            yield f"{path} (from environment {variable})", lambda path=path, read=read: read(path)
        else:
            yield f"environment {variable}", lambda target=target, value=value: [(target, value)]
    for name, read in (
        ("credentials.json", read_credentials_json),
        ("dragen_api_key.txt", read_dragen_api_key),
        ("dragen_credentials.txt", read_dragen_credentials),
    ):
        path = home / name
        if path.exists():
            yield str(path), lambda path=path, read=read: read(path)


def read_credentials_json(path: Path) -> list[tuple[str, str]]:
    text = _read(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CredentialsFileError(path, f"not valid JSON ({exc.msg})", exc.lineno) from None
    except RecursionError:
        raise CredentialsFileError(path, "not valid JSON (nested too deeply)") from None
    if not isinstance(data, dict):
        raise CredentialsFileError(
            path, 'expected a JSON object of credentials, e.g. {"DragenSerialNo": "..."}'
        )
    pairs = []
    for name in FIELDS:
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise CredentialsFileError(
                path, f"{name} must be a string in quotes, not {json.dumps(value)}", _line_of(text, name)
            )
        pairs.append((name, value.strip()))
    return pairs


def read_dragen_api_key(path: Path) -> list[tuple[str, str]]:
    lines = [(number, line.strip()) for number, line in enumerate(_read(path).splitlines(), 1)]
    values = [(number, line) for number, line in lines if line]
    if not values:
        raise CredentialsFileError(path, "empty: expected the DRAGEN API key")
    if len(values) > 1 or len(values[0][1].split()) > 1:
        number = values[1][0] if len(values) > 1 else values[0][0]
        raise CredentialsFileError(path, "expected a single value, the DRAGEN API key", number)
    return [(DRAGEN_KEY, values[0][1])]


def read_dragen_credentials(path: Path) -> list[tuple[str, str]]:
    found = {}
    for number, line in enumerate(_read(path).splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals:
            raise CredentialsFileError(
                path, "expected credentials-1=<user id> or credentials-2=<password>", number
            )
        if key not in DRAGEN_CREDENTIAL_KEYS:
            raise CredentialsFileError(
                path, f"unknown setting {key!r}: expected credentials-1 or credentials-2", number
            )
        if key in found:
            raise CredentialsFileError(path, f"{key} is given twice", number)
        found[key] = value.strip()
    return [(DRAGEN_CREDENTIAL_KEYS[key], value) for key, value in found.items()]


def _read(path: Path) -> str:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE + 1)
    except FileNotFoundError:
        raise CredentialsFileError(path, "no such file") from None
    except IsADirectoryError:
        raise CredentialsFileError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise CredentialsFileError(path, f"cannot be read ({exc.strerror})") from None
    if len(data) > MAX_FILE:
        raise CredentialsFileError(path, f"larger than {MAX_FILE // 1024} KiB: not a credentials file")
    try:
        return data.decode("utf-8-sig")  # a byte-order mark, as some editors write, is fine
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CredentialsFileError(path, "not UTF-8 text", line) from None


def _line_of(text: str, name: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if f'"{name}"' in line:
            return number
    return None
