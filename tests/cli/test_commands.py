"""Every command against a live server (pytest-django's live_server on PostgreSQL), run as a user
runs it: its own process, its own home."""

import http.server
import json
import socket
import threading
import time

import pytest
from django.core.cache import cache

from tests.cli.conftest import run_cli
from tests.helpers import make_key

pytestmark = pytest.mark.django_db(transaction=True)


def test_tokens_create_prints_a_jwt_and_caches_it_for_the_other_commands(cli, home):
    done = cli("tokens", "create")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert token.count(".") == 2
    session = (home / ".portal" / "session.yaml").read_text()
    assert token in session
    assert oct((home / ".portal" / "session.yaml").stat().st_mode)[-3:] == "600"
    me = cli("me", "-o", "json")
    assert me.returncode == 0, me.stderr
    assert (home / ".portal" / "session.yaml").read_text() == session  # reused, not exchanged again
    shown = cli("config", "get")
    assert f"access-token: {token}" in shown.stdout


def test_me_prints_the_apis_data_exactly_as_json(cli, alice, tenant_a):
    done = cli("me", "-o", "json")
    data = json.loads(done.stdout)
    assert data["email"] == "alice@acme.test" and data["tenant"]["id"] == str(tenant_a.pk)
    assert data["is_tenant_admin"] is True
    assert "alice@acme.test" in cli("me").stdout  # the table
    assert "email: alice@acme.test" in cli("me", "-o", "yaml").stdout


def test_tokens_status_says_who_where_and_until_when(cli, alice_key):
    done = cli("tokens", "status", "-o", "json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["user"] == "alice@acme.test" and status["tenant"] == "Acme Genomics (localhost)"
    assert status["token_expires_at"] and status["key_expires_at"]


def test_a_cached_token_near_its_end_is_replaced(cli, home):
    first = cli("tokens", "create").stdout.strip()
    path = home / ".portal" / "session.yaml"
    path.write_text(path.read_text().replace("expires-at:", "expires-at: 1 #"))
    time.sleep(1)  # a new token's iat differs
    assert cli("me").returncode == 0
    assert first not in path.read_text()


def test_an_access_token_given_is_used_as_is(cli, home):
    token = cli("tokens", "create").stdout.strip()
    (home / ".portal" / "session.yaml").unlink()
    done = cli("me", "-t", token, "-k", "pak_notused")
    assert done.returncode == 0, done.stderr
    assert not (home / ".portal" / "session.yaml").exists()


def test_a_refused_key_is_one_line_with_the_servers_title_and_a_distinct_exit(server, home):
    done = run_cli("me", "-s", server, "-k", "pak_0000000000000000000000000000000000bad", home=home)
    assert done.returncode == 3
    assert done.stderr.startswith("portal: ") and done.stderr.count("\n") == 1
    assert "(401)" in done.stderr and "Traceback" not in done.stderr


def test_an_unreachable_server_is_named(home):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    done = run_cli("me", "-s", url, "-k", "pak_x", home=home)
    assert done.returncode == 1
    assert done.stderr.startswith(f"portal: Cannot reach the server at {url}: ")


def test_no_key_and_no_config_say_how_to_fix_it(home):
    done = run_cli("me", home=home)
    assert done.stderr == "portal: No server URL: run `portal config set`, or pass --server-url.\n"
    done = run_cli("me", "-s", "http://127.0.0.1:9", home=home)
    assert "No API key and no sign-in: run `portal login`, or `portal config set`" in done.stderr


def test_a_rate_limited_call_is_retried_after_the_servers_wait(cli, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "tokens-ip": "1/s"}
    now = int(time.time())
    for second in (now, now + 1):  # this second and the next are used up: refused for >= 1 s
        cache.set(f"throttle:tokens-ip:127.0.0.1:{second}", 5, timeout=10)
    started, into_window = time.monotonic(), time.time() - now
    again = cli("tokens", "create")  # refused with Retry-After, waits, then succeeds
    assert again.returncode == 0, again.stderr
    assert time.monotonic() - started >= 2 - into_window - 0.05  # not before the windows ran out


def test_without_retries_a_rate_limited_call_fails_at_once(cli, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "tokens-ip": "1/h"}
    assert cli("tokens", "create").returncode == 0
    refused = cli("tokens", "create", env={"PORTAL_NO_RETRY_RATE_LIMITING": "1"})
    assert refused.returncode == 6 and "(429)" in refused.stderr


@pytest.fixture
def not_a_portal():
    """Some other web server that answers every request with a page: a wrong server URL."""

    class Page(http.server.BaseHTTPRequestHandler):
        def _page(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>Welcome to nginx!</body></html>")

        do_GET = do_POST = _page

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_server_that_is_no_portal_is_said_so_in_one_line(not_a_portal, home):
    for args in (
        ["me", "-k", "pak_x"],
        ["workgroups", "list", "-t", "a.b.c"],
        ["tokens", "create", "-k", "pak_x"],
    ):
        done = run_cli(*args, "-s", not_a_portal, home=home)
        assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
        assert f"The server at {not_a_portal} did not answer /api/" in done.stderr
    fetched = run_cli("license", "fetch", "-s", not_a_portal, home=home, env={"DRAGEN_SERIAL_NUMBER": "SN-1"})
    assert fetched.returncode == 11, fetched.stderr
    assert fetched.stderr.startswith(
        f"portal: The premium.lic {not_a_portal} sent is not a valid premium.lic"
    )
    assert not (home / ".ilmnAnnotations" / "premium.lic").exists()


def test_a_tenant_at_a_localhost_name_is_reached_as_browsers_reach_it(live_server, alice, tenant_a, home):
    """`make run`'s demo tenant is http://demo.localhost:8000; Python's resolver knows no such name."""
    port = live_server.url.rsplit(":", 1)[1]
    key = make_key(alice, tenant_a)[1]
    done = run_cli("me", "-s", f"http://acme.localhost:{port}", "-k", key, "-o", "json", home=home)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tenant"]["domain"] == "acme.localhost"
