"""The CLI's settings: flags, then `PORTAL_*` environment variables, then ~/.portal/config.yaml.

The API key is stored encrypted (Fernet: AES-128-CBC with an HMAC-SHA256), under a key of its own
in ~/.portal/config.key; both files are mode 0600. Someone who copies config.yaml alone, or reads it
over a shoulder, has no API key. (An attacker with the whole home directory has both files: the
cipher protects against the config file travelling, not against the account.)
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography.fernet import Fernet, InvalidToken

from portal_cli.errors import CliError

OUTPUT_FORMATS = ("table", "yaml", "json")
COLORMODES = ("none", "dark", "light")
# "sign-in" is what the server said when the settings were saved: password, sso or sso-only.
DEFAULTS = {"server-url": "", "x-api-key": "", "output-format": "table", "colormode": "none", "sign-in": ""}
ENVIRONMENT = {
    "server-url": "PORTAL_SERVER_URL",
    "x-api-key": "PORTAL_X_API_KEY",
    "access-token": "PORTAL_ACCESS_TOKEN",
    "output-format": "PORTAL_OUTPUT_FORMAT",
    "colormode": "PORTAL_COLORMODE",
    "sign-in": "PORTAL_SIGN_IN",
}


def home() -> Path:
    return Path.home() / ".portal"


def config_path() -> Path:
    return home() / "config.yaml"


def session_path() -> Path:
    return home() / "session.yaml"


def _key_path() -> Path:
    return home() / "config.key"


@dataclass(frozen=True)
class Settings:
    server_url: str
    x_api_key: str
    access_token: str
    output_format: str
    colormode: str

    def api_url(self, path: str) -> str:
        if not self.server_url:
            raise CliError("No server URL: run `portal config set`, or pass --server-url.")
        return self.server_url.rstrip("/") + path

    @property
    def key_fingerprint(self) -> str:
        """Which key a cached token came from, without keeping the key."""
        return hashlib.sha256(self.x_api_key.encode()).hexdigest()[:16] if self.x_api_key else ""


def resolve(flags: dict) -> Settings:
    """Each setting from the first place that has it: flags, environment, config file, default."""
    stored = load_config()
    values = {}
    for name in (*DEFAULTS, "access-token"):
        flag = flags.get(name)
        env = os.environ.get(ENVIRONMENT[name], "")
        values[name] = flag or env or stored.get(name) or DEFAULTS.get(name, "")
    _check_choice("output-format", values["output-format"], OUTPUT_FORMATS)
    _check_choice("colormode", values["colormode"], COLORMODES)
    return Settings(
        server_url=values["server-url"].rstrip("/"),
        x_api_key=values["x-api-key"],
        access_token=values["access-token"],
        output_format=values["output-format"],
        colormode=values["colormode"],
    )


def _check_choice(name: str, value: str, choices: tuple) -> None:
    if value not in choices:
        raise CliError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")


def load_config() -> dict:
    """The config file's settings, the API key decrypted ({} when there is no file)."""
    raw = read_config_file()
    if not raw:
        return {}
    values = {name: raw.get(name) or "" for name in DEFAULTS}
    encrypted = raw.get("x-api-key")
    values["x-api-key"] = decrypt(encrypted) if encrypted else ""
    return values


def read_config_file() -> dict:
    """config.yaml as stored (the API key still encrypted, as bytes)."""
    path = config_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise CliError(f"Cannot read {path}: {exc.strerror}.") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise CliError(
            f"{path}{yaml_position(exc)} is not valid YAML; fix it or run `portal config reset`."
        ) from None
    if not isinstance(data, dict):
        raise CliError(f"{path} should hold settings (a mapping); run `portal config reset`.")
    return data


def yaml_position(exc: yaml.YAMLError) -> str:
    """`, line N (what is wrong)` for a YAML error, on one line."""
    mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
    where = f", line {mark.line + 1}" if mark is not None else ""
    return f"{where} ({problem})" if problem else where


def save_config(values: dict) -> Path:
    """Write config.yaml (0600) from plain values; the API key is encrypted on the way."""
    data = {name: values.get(name) or DEFAULTS[name] for name in DEFAULTS}
    data["x-api-key"] = encrypt(data["x-api-key"]) if data["x-api-key"] else ""
    write_private(config_path(), yaml.safe_dump(data, sort_keys=False))
    return config_path()


def encrypt(plain: str) -> bytes:
    return Fernet(_cipher_key(create=True)).encrypt(plain.encode())


def decrypt(token: bytes) -> str:
    if not isinstance(token, bytes):
        raise CliError(
            f"The API key in {config_path()} is not encrypted; set it again with `portal config set`."
        )
    key = _cipher_key(create=False)
    try:
        return Fernet(key).decrypt(token).decode()
    except (InvalidToken, ValueError):
        raise CliError(
            f"The API key in {config_path()} cannot be decrypted with {_key_path()} "
            "(copied from another machine?); set it again with `portal config set`."
        ) from None


def _cipher_key(*, create: bool) -> bytes:
    path = _key_path()
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        if not create:
            raise CliError(
                f"{path} is missing, so the API key in {config_path()} cannot be read; "
                "set it again with `portal config set`."
            ) from None
    key = Fernet.generate_key()
    write_private(path, key.decode() + "\n")
    return key


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, atomically (a reader sees the old file or the new)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def reset() -> list[Path]:
    """Remove the config, its cipher key and the session; the paths that were there."""
    removed = []
    for path in (config_path(), _key_path(), session_path()):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
