"""License credential secrets and the files a tool reads them from. Pure: no ORM, no settings.

A DRAGEN API key has the portal key's shape under its own prefix (``dak_``), so neither ever
passes for the other; only its SHA-256 digest is stored. BYOL credentials are a public user id and
a generated password; only a slow hash of the password is stored.
"""

import json
import secrets
import string

import premiumlic
from apikeys.keys import KeyFormat

DRAGEN_KEYS = KeyFormat("dak_")
BYOL_USER_PREFIX = "byol-"
_ID_ALPHABET = string.ascii_lowercase + string.digits


def byol_user_id() -> str:
    """Public (it is named, hashed, in every file): 20 characters, about 103 bits."""
    return BYOL_USER_PREFIX + "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


def byol_password() -> str:
    """The secret half: 32 URL-safe characters, 192 bits."""
    return secrets.token_urlsafe(24)


def credentials_json(**fields: str) -> str:
    """The tools' ``credentials.json``: ``DragenSerialNo``, ``ApiKey``/``ApiSecret``,
    ``DragenApiKey``, ``MyIlluminaApiKey``, whichever are given."""
    unknown = set(fields) - set(premiumlic.CREDENTIAL_FIELDS)
    if unknown:
        raise ValueError(f"not a credentials.json field: {sorted(unknown)}")
    return json.dumps(fields, indent=2) + "\n"


def dragen_credentials_txt(user_id: str, password: str) -> str:
    """``dragen_credentials.txt``: BYOL user id and password as DRAGEN reads them."""
    return f"credentials-1={user_id}\ncredentials-2={password}\n"


def dragen_api_key_txt(key: str) -> str:
    return f"{key}\n"
