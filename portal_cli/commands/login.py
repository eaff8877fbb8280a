"""`portal login`: sign in in the browser (the tenant's own sign-in: its identity provider, or a
password and second factor) and let the CLI act as you, without an API key.

The browser comes back to a one-shot web server on this computer's loopback address with a code,
which only this process can redeem (it holds the PKCE verifier: RFC 8252, RFC 7636). Where no
browser can open, `--device` shows a code to enter on any device (RFC 8628) and waits for it.
The token is cached like `portal tokens create`'s, and refreshed until the tenant's longest
session since the sign-in ends."""

import base64
import hashlib
import http.server
import secrets
import socket
import threading
import time
import webbrowser
from urllib.parse import parse_qs, urlencode, urlsplit

import click

from portal_cli import client
from portal_cli.errors import CliError

from .common import Call, api_command

WAIT = 600  # seconds for the person to sign in
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


@click.command("login")
@click.option(
    "--sso", is_flag=True, help="Sign in through the browser (the default; kept for scripts that say it)"
)
@click.option("--device", is_flag=True, help="No browser here: show a code to enter on another device")
@click.option("--no-browser", is_flag=True, help="Print the sign-in address instead of opening a browser")
@api_command(auth=False)
def login(call: Call, sso: bool, device: bool, no_browser: bool) -> None:
    """Sign in through the browser, as the tenant signs in, and cache a token for the commands."""
    call.config.api_url("/api/cli/token")  # no server URL: say that first
    answer = _by_device(call) if device else _by_loopback(call, open_browser=not no_browser)
    client.cache_sign_in(call.config, answer["token"], int(time.time()) + int(answer["expires_in"]))
    me = call.client.get("/api/me")
    click.echo(f"Signed in as {me['email']} at {me['tenant']['name']}.", err=True)


def _by_loopback(call: Call, *, open_browser: bool) -> dict:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    state = secrets.token_urlsafe(16)
    answers: list[dict] = []
    server = _Callback.serve(answers)
    query = {"port": server.server_port, "challenge": challenge, "state": state, "name": socket.gethostname()}
    url = call.config.api_url(f"/cli/login?{urlencode(query)}")
    click.echo(f"Sign in in your browser. If it did not open, go to:\n  {url}", err=True)
    if open_browser:
        webbrowser.open(url)
    try:
        deadline = time.monotonic() + WAIT
        while not answers and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.shutdown()
    if not answers:
        raise CliError("No answer from the browser in 10 minutes: run `portal login` again.")
    answer = answers[0]
    if answer.get("state") != state:
        raise CliError("The browser's answer is not for this sign-in: run `portal login` again.")
    if "code" not in answer:
        raise CliError("Not signed in: the sign-in was cancelled in the browser.")
    body = {"grant_type": "authorization_code", "code": answer["code"], "code_verifier": verifier}
    return _redeem(call, body)


def _by_device(call: Call) -> dict:
    started = call.client.call("POST", "/api/cli/device", auth=False, json={"name": socket.gethostname()})
    click.echo(
        f"On any device, go to {started['verification_uri']} and enter the code {started['user_code']}\n"
        f"  (or open {started['verification_uri_complete']})",
        err=True,
    )
    deadline = time.monotonic() + int(started["expires_in"])
    while time.monotonic() < deadline:
        time.sleep(int(started["interval"]))
        response = call.client.http.post(
            call.config.api_url("/api/cli/token"),
            json={"grant_type": DEVICE, "device_code": started["device_code"]},
        )
        if response.status_code == 200:
            return response.json()
        if _code_of(response) != "authorization_pending":
            raise CliError(client.problem_line(response))
    raise CliError("The code expired before it was entered: run `portal login --device` again.")


def _redeem(call: Call, body: dict) -> dict:
    response = call.client.http.post(call.config.api_url("/api/cli/token"), json=body)
    if response.status_code != 200:
        raise CliError(client.problem_line(response))
    return response.json()


def _code_of(response) -> str:
    try:
        return str(response.json().get("code", ""))
    except ValueError:
        return ""


class _Callback(http.server.BaseHTTPRequestHandler):
    """The one request the browser makes back to us: its query, then a page saying what next."""

    answers: list

    @classmethod
    def serve(cls, answers: list) -> http.server.HTTPServer:
        handler = type("Handler", (cls,), {"answers": answers})
        server = http.server.HTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def do_GET(self) -> None:  # http.server's name
        parts = urlsplit(self.path)
        if parts.path != "/callback":
            self.send_error(404)
            return
        self.answers.append({key: values[0] for key, values in parse_qs(parts.query).items()})
        page = (
            b"<!doctype html><title>portal</title><p>Done: back to the terminal. You can close this window."
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args) -> None:
        pass
