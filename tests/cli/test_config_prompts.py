"""`portal config set` as a person types it, through a terminal (pexpect drives a pty)."""

import sys

import pexpect
import yaml

from portal_cli import settings
from tests.cli.conftest import ROOT, run_cli

KEY = "pak_0123456789abcdefghijABCDEFGHIJ0a1b2c"


def spawn(home, *args):
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "dumb"}
    return pexpect.spawn(
        sys.executable, ["-m", "portal_cli", *args], cwd=str(ROOT), env=env, encoding="utf-8", timeout=30
    )


def test_config_set_asks_for_each_setting_hides_the_key_and_offers_defaults(home):
    child = spawn(home, "config", "set")
    child.expect_exact("server-url: ")
    child.sendline("https://acme.portal.example")
    child.expect_exact("x-api-key: ")
    child.sendline(KEY)
    child.expect_exact("output-format (table, yaml, json) [table]: ")
    child.sendline("")  # Enter takes the default
    child.expect_exact("colormode (none, dark, light) [none]: ")
    child.sendline("dark")
    child.expect(pexpect.EOF)
    assert KEY not in child.before  # never echoed
    child.close()
    assert child.exitstatus == 0

    shown = run_cli("config", "get", home=home)
    assert shown.returncode == 0, shown.stderr
    assert "x-api-key: !!binary" in shown.stdout and KEY not in shown.stdout
    values = yaml.safe_load(shown.stdout)
    assert values["server-url"] == "https://acme.portal.example"
    assert (values["output-format"], values["colormode"], values["access-token"]) == ("table", "dark", "")


def test_a_second_config_set_offers_what_is_stored_and_keeps_the_key_on_enter(home):
    run_cli("config", "set", "--server-url", "https://acme.portal.example", "--x-api-key", KEY, home=home)
    child = spawn(home, "config", "set")
    child.expect_exact("server-url [https://acme.portal.example]: ")
    child.sendline("")
    child.expect_exact("x-api-key [pak_0123..., Enter keeps it]: ")
    child.sendline("")
    child.expect_exact("[table]: ")
    child.sendline("json")
    child.expect_exact("[none]: ")
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert settings.load_config()["x-api-key"] == KEY
    assert settings.load_config()["output-format"] == "json"


def test_a_wrong_choice_is_asked_again(home):
    child = spawn(home, "config", "set", "--server-url", "https://a.example", "--x-api-key", KEY)
    child.expect_exact("[table]: ")
    child.sendline("xml")
    child.expect_exact("Error: 'xml' is not one of 'table', 'yaml', 'json'.")
    child.expect_exact("[table]: ")
    child.sendline("yaml")
    child.expect_exact("[none]: ")
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_scripts_set_everything_by_flags_without_a_terminal(home):
    done = run_cli(
        "config", "set", "--server-url", "https://acme.portal.example", "--x-api-key", KEY,
        "--output-format", "json", "--colormode", "light", home=home,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert KEY not in (home / ".portal" / "config.yaml").read_text()


def test_a_bad_server_url_or_key_is_refused_in_one_line(home):
    done = run_cli("config", "set", "--server-url", "acme.portal.example", "--x-api-key", KEY, home=home)
    assert done.returncode == 1
    assert (
        done.stderr
        == "portal: server-url must start with https:// (or http://), not 'acme.portal.example'.\n"
    )
    done = run_cli("config", "set", "--server-url", "https://a.example", "--x-api-key", "hunter2", home=home)
    assert done.returncode == 1 and "x-api-key must be a Portal API key (pak_...)" in done.stderr


def test_config_get_without_a_config_says_how_to_make_one(home):
    done = run_cli("config", "get", home=home)
    assert done.returncode == 1
    assert done.stderr.startswith("portal: No settings yet") and "run `portal config set`" in done.stderr
    assert "Traceback" not in done.stderr


def test_config_reset_deletes_the_config_and_the_session(home):
    run_cli("config", "set", "--server-url", "https://a.example", "--x-api-key", KEY, home=home)
    (home / ".portal" / "session.yaml").write_text("access-token: x\n")
    assert run_cli("config", "reset", home=home).returncode == 0
    assert sorted(p.name for p in (home / ".portal").iterdir()) == []
