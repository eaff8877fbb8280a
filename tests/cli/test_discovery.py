"""Finding license credentials as the annotation tools do: every source, every precedence pair,
the three file formats and what is wrong with a file, by file and line. Pure: no server."""

import itertools
import json
from pathlib import Path

import pytest

from portal_cli import discovery
from portal_cli.discovery import BYOL_ID, BYOL_SECRET, DRAGEN_KEY, PORTAL_KEY, SERIAL, CredentialsFileError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


class Source:
    """One place a credential can come from, set up in a test's home with a value for a field."""

    def __init__(self, name: str, fields: tuple[str, ...], setup):
        self.name, self.fields, self._setup = name, fields, setup

    def apply(self, home: Path, value: str, flags: dict, environ: dict) -> None:
        self._setup(home, value, flags, environ)

    def __repr__(self) -> str:
        return self.name


def _json_flag(home, value, flags, environ):
    flags["credentials_file"] = write(home / "flag" / "credentials.json", json.dumps(_all_fields(value)))


def _lic_flag(home, value, flags, environ):
    flags["lic_credentials"] = write(
        home / "flag" / "creds.txt", f"credentials-1={value}\ncredentials-2={value}\n"
    )


def _key_flag(home, value, flags, environ):
    flags["api_key_file"] = write(home / "flag" / "key.txt", value)


def _env(variable, *fields):
    def setup(home, value, flags, environ):
        environ[variable] = value

    return Source(f"${variable}", fields, setup)


def _env_file(variable, text, field_names):
    def setup(home, value, flags, environ):
        environ[variable] = str(write(home / "env" / variable, text.format(value=value)))

    return Source(f"${variable}", field_names, setup)


def _home_file(name, text, field_names):
    def setup(home, value, flags, environ):
        write(home / ".ilmnAnnotations" / name, text(value))

    return Source(f"~/.ilmnAnnotations/{name}", field_names, setup)


def _all_fields(value):
    return {name: value for name in discovery.FIELDS}


# Every source, in the order the tools consult them.
SOURCES = [
    Source("--credentials-file", discovery.FIELDS, _json_flag),
    Source("--lic-credentials", (BYOL_ID, BYOL_SECRET), _lic_flag),
    Source("--api-key-file", (DRAGEN_KEY,), _key_flag),
    _env("MY_ILLUMINA_API_KEY", PORTAL_KEY),
    _env("DRAGEN_SERIAL_NUMBER", SERIAL),
    _env("DRAGEN_API_KEY_VALUE", DRAGEN_KEY),
    _env_file("DRAGEN_API_KEY_FILE", "  {value}\n", (DRAGEN_KEY,)),
    _env("NIRVANA_API_KEY", BYOL_ID),
    _env("NIRVANA_API_SECRET", BYOL_SECRET),
    _env_file(
        "DRAGEN_LICENSE_CREDENTIALS_FILE",
        "credentials-1 = {value}\ncredentials-2 = {value}\n",
        (BYOL_ID, BYOL_SECRET),
    ),
    _home_file("credentials.json", lambda value: json.dumps(_all_fields(value)), discovery.FIELDS),
    _home_file("dragen_api_key.txt", lambda value: value + "\n", (DRAGEN_KEY,)),
    _home_file(
        "dragen_credentials.txt",
        lambda value: f"credentials-1={value}\ncredentials-2={value}\n",
        (BYOL_ID, BYOL_SECRET),
    ),
]


def discover(home: Path, *sources_and_values, environ=None) -> discovery.Discovered:
    flags, environ = {}, dict(environ or {})
    for source, value in sources_and_values:
        source.apply(home, value, flags, environ)
    return discovery.discover(environ=environ, **flags)


@pytest.mark.parametrize("source", SOURCES, ids=repr)
def test_each_source_alone_gives_its_fields_and_says_where_from(home, source):
    found = discover(home, (source, "v-1"))
    assert found.body() == {name: "v-1" for name in source.fields}
    assert source.name.lstrip("$").replace("~/", "") in found.fields[source.fields[0]].source


PAIRS = [
    (first, second, field)
    for first, second in itertools.combinations(SOURCES, 2)
    for field in discovery.FIELDS
    if field in first.fields and field in second.fields
]


@pytest.mark.parametrize(("first", "second", "field"), PAIRS, ids=lambda item: str(item))
def test_for_each_field_the_earlier_source_wins_whatever_the_later_one_says(home, first, second, field):
    found = discover(home, (second, "later"), (first, "earlier"))
    assert found.fields[field].value == "earlier"


def test_fields_missing_higher_up_come_from_further_down(home):
    write(home / ".ilmnAnnotations" / "credentials.json", json.dumps({PORTAL_KEY: "pak_home"}))
    found = discover(home, environ={"DRAGEN_SERIAL_NUMBER": "SN-ENV"})
    assert found.body() == {SERIAL: "SN-ENV", PORTAL_KEY: "pak_home"}
    assert found.deciding == SERIAL
    assert found.fields[PORTAL_KEY].source == str(home / ".ilmnAnnotations" / "credentials.json")


def test_empty_values_are_not_a_hit(home):
    write(home / ".ilmnAnnotations" / "credentials.json", json.dumps({SERIAL: "SN-HOME"}))
    credentials = write(home / "here" / "credentials.json", json.dumps({SERIAL: "  ", DRAGEN_KEY: ""}))
    found = discovery.discover(credentials_file=credentials, environ={"DRAGEN_SERIAL_NUMBER": ""})
    assert found.body() == {SERIAL: "SN-HOME"}


def test_credentials_json_takes_any_subset_and_ignores_other_fields(home):
    path = write(home / "c.json", '\ufeff{"ApiKey": " byol-abc ", "ApiSecret": "s3cret", "Comment": 1}')
    assert discovery.read_credentials_json(path) == [(BYOL_ID, "byol-abc"), (BYOL_SECRET, "s3cret")]


@pytest.mark.parametrize(
    "text",
    [
        "credentials-1=byol-abc\ncredentials-2=pa=ss word\n",
        "credentials-1 = byol-abc\ncredentials-2 = pa=ss word\n",
        "credentials-1 =byol-abc\r\n\r\n# a comment\ncredentials-2=   pa=ss word  \r\n",
    ],
    ids=["no spaces", "spaces around =", "mixed, CRLF, blank line, comment"],
)
def test_dragen_credentials_txt_with_or_without_spaces_around_the_equals_sign(home, text):
    path = write(home / "dragen_credentials.txt", text)
    assert discovery.read_dragen_credentials(path) == [(BYOL_ID, "byol-abc"), (BYOL_SECRET, "pa=ss word")]


def test_dragen_api_key_txt_is_one_value_whitespace_trimmed(home):
    path = write(home / "k.txt", "\n  dak_0123456789  \n\n")
    assert discovery.read_dragen_api_key(path) == [(DRAGEN_KEY, "dak_0123456789")]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("credentials.json", '{\n  "DragenSerialNo": "SN-1",\n  "ApiKey" "x"\n}', "line 3: not valid JSON"),
        ("credentials.json", '{\n  "DragenSerialNo": 12345\n}', "line 2: DragenSerialNo must be a string"),
        ("credentials.json", '["SN-1"]', ": expected a JSON object"),
        ("credentials.json", "", "line 1: not valid JSON"),
        ("dragen_credentials.txt", "credentials-1=a\ncredentials-2 b\n", "line 2: expected credentials-1="),
        ("dragen_credentials.txt", "credential-1=a\n", "line 1: unknown setting 'credential-1'"),
        (
            "dragen_credentials.txt",
            "credentials-1=a\ncredentials-1=b\n",
            "line 2: credentials-1 is given twice",
        ),
        ("dragen_api_key.txt", "dak_one\ndak_two\n", "line 2: expected a single value"),
        ("dragen_api_key.txt", "dak_one dak_two\n", "line 1: expected a single value"),
        ("dragen_api_key.txt", " \n", ": empty"),
        ("dragen_api_key.txt", b"\n\xff\xfe", "line 2: not UTF-8 text"),
    ],
)
def test_a_malformed_file_is_named_with_its_line(home, name, text, message):
    path = home / ".ilmnAnnotations" / name
    path.parent.mkdir()
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(CredentialsFileError) as error:
        discovery.discover(environ={})
    assert error.value.message.startswith(str(path))
    assert message in error.value.message


def test_a_file_named_by_flag_or_variable_must_exist_the_default_ones_need_not(home):
    assert discovery.discover(environ={}).fields == {}
    with pytest.raises(CredentialsFileError, match=r"nowhere\.json: no such file"):
        discovery.discover(credentials_file=home / "nowhere.json", environ={})
    with pytest.raises(CredentialsFileError, match=r"key\.txt: no such file"):
        discovery.discover(environ={"DRAGEN_API_KEY_FILE": str(home / "key.txt")})


def test_premium_lic_goes_beside_the_active_credentials_json(home):
    assert discovery.discover(environ={}).directory == home / ".ilmnAnnotations"
    given = write(home / "run" / "credentials.json", "{}")
    assert discovery.discover(credentials_file=given, environ={}).directory == home / "run"


def test_the_highest_priority_field_decides(home):
    def deciding(**fields):
        return discovery.Discovered(fields={k: discovery.Found(v, "x") for k, v in fields.items()}).deciding

    assert (
        deciding(MyIlluminaApiKey="k", DragenApiKey="d", ApiKey="u", ApiSecret="p", DragenSerialNo="s")
        == SERIAL
    )
    assert deciding(MyIlluminaApiKey="k", DragenApiKey="d", ApiSecret="p") == BYOL_ID
    assert deciding(MyIlluminaApiKey="k", DragenApiKey="d") == DRAGEN_KEY
    assert deciding(MyIlluminaApiKey="k") == PORTAL_KEY
    assert deciding() is None


def test_the_explanation_names_sources_and_never_a_secret(home):
    secrets = {BYOL_SECRET: "hunter2-secret", DRAGEN_KEY: "dak_secretvalue", PORTAL_KEY: "pak_secretvalue"}
    write(home / ".ilmnAnnotations" / "credentials.json", json.dumps({BYOL_ID: "byol-user", **secrets}))
    rows = discovery.discover(environ={"DRAGEN_SERIAL_NUMBER": "SN-9"}).explain()
    text = json.dumps(rows)
    assert not any(secret in text for secret in secrets.values())
    assert {row["field"]: row["value"] for row in rows}[SERIAL] == "SN-9"
    assert {row["field"]: row["source"] for row in rows}[SERIAL] == "environment DRAGEN_SERIAL_NUMBER"
    assert "(hidden, 14 characters)" in text
