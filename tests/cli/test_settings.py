"""Settings: where each comes from, and the API key never stored in the clear."""

import stat

import pytest
import yaml

from portal_cli import settings
from portal_cli.errors import CliError

KEY = "pak_0123456789abcdefghijABCDEFGHIJ0a1b2c"


def stored(**values) -> None:
    settings.save_config({**settings.DEFAULTS, **values})


def test_the_api_key_goes_through_a_real_cipher_and_comes_back(home):
    stored(**{"server-url": "https://acme.example", "x-api-key": KEY})
    assert settings.load_config()["x-api-key"] == KEY
    text = settings.config_path().read_text()
    assert KEY not in text and KEY[4:20] not in text
    encrypted = yaml.safe_load(text)["x-api-key"]
    assert isinstance(encrypted, bytes) and "!!binary" in text
    assert settings.encrypt(KEY) != settings.encrypt(KEY)  # a fresh IV each time: not an encoding


def test_the_cipher_key_is_kept_out_of_the_config_file_and_both_are_private(home):
    stored(**{"x-api-key": KEY})
    key_file = home / ".portal" / "config.key"
    assert key_file.read_text().strip() not in settings.config_path().read_text()
    for path in (settings.config_path(), key_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / ".portal").stat().st_mode) == 0o700


def test_a_config_copied_without_its_cipher_key_cannot_be_read(home):
    stored(**{"x-api-key": KEY})
    (home / ".portal" / "config.key").unlink()
    with pytest.raises(CliError, match=r"config\.key is missing"):
        settings.load_config()


def test_a_config_encrypted_under_another_key_says_so(home):
    stored(**{"x-api-key": KEY})
    (home / ".portal" / "config.key").write_text("bm90LWEta2V5LWF0LWFsbC1idXQtMzItYnl0ZXMtbG9uZy4=\n")
    with pytest.raises(CliError, match="cannot be decrypted"):
        settings.load_config()


@pytest.mark.parametrize(
    ("flag", "env", "file", "expected"),
    [
        ("https://flag", "https://env", "https://file", "https://flag"),
        (None, "https://env", "https://file", "https://env"),
        (None, None, "https://file", "https://file"),
        ("https://flag", None, "https://file", "https://flag"),
        ("https://flag", "https://env", None, "https://flag"),
        (None, None, None, ""),
    ],
)
def test_flags_win_over_the_environment_which_wins_over_the_file(
    home, monkeypatch, flag, env, file, expected
):
    if file:
        stored(**{"server-url": file})
    if env:
        monkeypatch.setenv("PORTAL_SERVER_URL", env)
    assert settings.resolve({"server-url": flag}).server_url == expected


@pytest.mark.parametrize(
    ("name", "variable", "from_env", "from_flag"),
    [
        ("x-api-key", "PORTAL_X_API_KEY", KEY, "pak_fromaflag"),
        ("output-format", "PORTAL_OUTPUT_FORMAT", "json", "table"),
        ("colormode", "PORTAL_COLORMODE", "dark", "none"),
        ("access-token", "PORTAL_ACCESS_TOKEN", "a.b.c", "d.e.f"),
    ],
)
def test_every_setting_has_its_environment_variable_between_flag_and_file(
    home, monkeypatch, name, variable, from_env, from_flag
):
    stored(**{"x-api-key": "pak_fromthefile", "output-format": "yaml", "colormode": "light"})
    attribute = name.replace("-", "_")
    monkeypatch.setenv(variable, from_env)
    assert getattr(settings.resolve({}), attribute) == from_env
    assert getattr(settings.resolve({name: from_flag}), attribute) == from_flag


def test_defaults_without_a_file(home):
    resolved = settings.resolve({})
    assert (resolved.output_format, resolved.colormode, resolved.x_api_key) == ("table", "none", "")


def test_a_bad_choice_from_the_environment_is_named(home, monkeypatch):
    monkeypatch.setenv("PORTAL_OUTPUT_FORMAT", "xml")
    with pytest.raises(CliError, match="output-format must be one of table, yaml, json"):
        settings.resolve({})


def test_a_broken_config_file_is_named_with_its_line_and_the_way_out(home):
    settings.config_path().parent.mkdir(parents=True)
    settings.config_path().write_text("server-url: [unclosed\n")
    with pytest.raises(CliError) as error:
        settings.resolve({})
    assert error.value.message == (
        f"{settings.config_path()}, line 2 (expected ',' or ']', but got '<stream end>') "
        "is not valid YAML; fix it or run `portal config reset`."
    )


def test_reset_removes_config_key_and_session(home):
    stored(**{"x-api-key": KEY})
    settings.write_private(settings.session_path(), "access-token: x\n")
    assert len(settings.reset()) == 3
    assert not (home / ".portal").exists() or not any((home / ".portal").iterdir())
