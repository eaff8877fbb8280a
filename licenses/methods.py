"""The license credential methods, one entry each: how an admin adds one, what is generated and
shown once, how a tool presents it and how that finds its row. Adding a method touches this
module, `premiumlic.CREDENTIAL_METHODS` (the format, and the CLI's discovery list) and a migration
of `Credential.method`'s choices; `tests/licenses/test_methods.py` walks every entry."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

import premiumlic
import premiumreq
from apikeys import keys
from core.errors import ServiceError
from licenses import credentials

SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # a DRAGEN serial number, whole


@dataclass(frozen=True)
class Given:
    """What an admin types to add a credential (the rest is generated)."""

    name: str  # the API's and the form's field
    pattern: re.Pattern
    label: str
    help: str
    example: str


@dataclass(frozen=True)
class Method:
    name: str
    label: str
    make: Callable  # (credential, given value) → the secrets shown once; fills the new row
    shown_once: Callable  # (credential, secrets) → [(label, value, is secret)], [(file name, text)]
    given: Given | None = None
    secrets: tuple[tuple[str, str], ...] = ()  # (name, API description) of what `make` returns
    by_digest: bool = False  # a key: found and identified by the digest of what is presented
    well_formed: Callable[[str], bool] = bool  # checked before any lookup

    @property
    def fields(self) -> tuple[str, ...]:
        """The credentials.json fields that present it: the identifier, and a password if any."""
        return dict(premiumlic.CREDENTIAL_METHODS)[self.name]

    def shown(self, credential) -> str:
        return f"{credential.key_prefix}…" if self.by_digest else credential.identifier

    def identity_value(self, presented: str) -> str:
        """What a row holds of the presented identifier: itself, or a key's digest."""
        return keys.digest(presented) if self.by_digest else presented


def _serial(credential, given: str) -> dict:
    serial = given.strip()
    if not SERIAL.fullmatch(serial):
        raise ServiceError(
            "Give the DRAGEN server's serial number: letters, digits, '.', '_' or '-', at most 64.",
            code="invalid_serial",
        )
    credential.identifier = serial
    return {}


def _byol(credential, given) -> dict:
    user_id, password = credentials.byol_user_id(), credentials.byol_password()
    credential.identifier, credential.secret_hash = user_id, make_password(password)
    credential.secret_digest = premiumreq.secret_digest(password)  # for offline activation's proof
    return {"api_key": user_id, "api_secret": password}


def _dragen_key(credential, given) -> dict:
    key = credentials.DRAGEN_KEYS.generate()
    credential.identifier = str(credential.id)
    credential.key_digest, credential.key_prefix = (
        keys.digest(key),
        credentials.DRAGEN_KEYS.display_prefix(key),
    )
    return {"key": key}


def _serial_shown(credential, secrets):
    return [], [("credentials.json", credentials.credentials_json(DragenSerialNo=credential.identifier))]


def _byol_shown(credential, secrets):
    user_id, password = secrets["api_key"], secrets["api_secret"]
    fields = [("User id (ApiKey)", user_id, False), ("Password (ApiSecret)", password, True)]
    return fields, [
        ("dragen_credentials.txt", credentials.dragen_credentials_txt(user_id, password)),
        ("credentials.json", credentials.credentials_json(ApiKey=user_id, ApiSecret=password)),
    ]


def _dragen_key_shown(credential, secrets):
    key = secrets["key"]
    return [("DRAGEN API key", key, True)], [
        ("dragen_api_key.txt", credentials.dragen_api_key_txt(key)),
        ("credentials.json", credentials.credentials_json(DragenApiKey=key)),
    ]


SERIAL_NUMBER = Given(
    name="serial_number",
    pattern=SERIAL,
    label="Serial number",
    help="For a DRAGEN server: as shown by the server; unique in this tenant.",
    example="DRGN-0042",
)
METHODS = {
    method.name: method
    for method in (
        Method("dragen_serial", "DRAGEN serial number", _serial, _serial_shown, given=SERIAL_NUMBER),
        Method(
            "byol",
            "BYOL credentials",
            _byol,
            _byol_shown,
            secrets=(
                ("api_key", "BYOL: the user id (ApiKey)."),
                ("api_secret", "BYOL: the password (ApiSecret), shown once."),
            ),
        ),
        Method(
            "dragen_api_key",
            "DRAGEN API key",
            _dragen_key,
            _dragen_key_shown,
            secrets=(("key", "DRAGEN API key, shown once."),),
            by_digest=True,
            well_formed=credentials.DRAGEN_KEYS.is_well_formed,
        ),
    )
}  # in premiumlic.CREDENTIAL_METHODS's order: the priority order
CHOICES = [(method.name, method.label) for method in METHODS.values()]
GIVEN = {method.given.name: method.given for method in METHODS.values() if method.given}
