"""Calls to Portal's REST API: a Bearer token obtained and cached, problems turned into one line,
rate limits waited out."""

import base64
import json
import os
import random
import time

import httpx
import yaml

from portal_cli import __version__, settings
from portal_cli.errors import CliError
from portal_cli.settings import Settings

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RENEW_BEFORE = 60  # seconds: a cached token this close to its expiry is replaced
MAX_RATE_LIMIT_RETRIES = 5
MAX_WAIT = 60.0  # seconds, whatever Retry-After says
PAGE_SIZE = 200  # the API's largest page


class Client:
    def __init__(self, config: Settings):
        self.config = config
        self.http = http_client()

    def get(self, path: str, **kwargs):
        return self.call("GET", path, **kwargs)

    def every(self, path: str, **params) -> list:
        """All items of a paginated list (`results` of every page, in order)."""
        items, page = [], 1
        while True:
            answer = self.get(path, params={**params, "page": page, "page_size": PAGE_SIZE})
            if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
                raise self.not_portal(path)
            items.extend(answer["results"])
            if not answer.get("next"):
                return items
            page += 1

    def call(self, method: str, path: str, *, auth: bool = True, **kwargs):
        """The JSON answer (None for 204), or CliError with the server's problem in one line."""
        headers = kwargs.pop("headers", {})
        if auth:
            headers["Authorization"] = f"Bearer {self.access_token()}"
        response = self.send(method, path, headers=headers, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return self.json_of(response)

    def json_of(self, response: httpx.Response):
        """The JSON of a successful answer; CliError if it is none (a server that is no Portal)."""
        if "json" in response.headers.get("Content-Type", ""):
            try:
                return response.json()
            except ValueError:
                pass
        raise self.not_portal(response.request.url.path)

    def not_portal(self, path: str) -> CliError:
        return CliError(
            f"The server at {self.config.server_url} did not answer {path} as Portal does: "
            "is the server URL right?"
        )

    def send(self, method: str, path: str, **kwargs) -> httpx.Response:
        """One request, retried while the server answers 429; any answer >= 400 raises CliError."""
        url = self.config.api_url(path)
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.TimeoutException:
                raise CliError(f"The server at {self.config.server_url} did not answer in time.") from None
            except httpx.HTTPError as exc:
                raise CliError(
                    f"Cannot reach the server at {self.config.server_url}: {_reason(exc)}."
                ) from None
            if response.status_code != 429 or attempt == MAX_RATE_LIMIT_RETRIES or _no_retry():
                break
            time.sleep(_wait(response, attempt))
        if response.status_code >= 400:
            raise CliError(problem_line(response), exit_code=_exit_code(response.status_code))
        return response

    def access_token(self) -> str:
        """The token to send: given (flag or PORTAL_ACCESS_TOKEN), cached and still fresh, or new."""
        if self.config.access_token:
            return self.config.access_token
        cached = _cached_token(self.config)
        return cached or self._refreshed_sign_in() or self.exchange_key()["token"]

    def _refreshed_sign_in(self) -> str:
        """A `portal login` token near its end, renewed (POST /api/tokens:refresh) while the
        sign-in's session lasts; "" when there is none to renew."""
        session = cached_session()
        if not session.get("signed-in") or session.get("server-url") != self.config.server_url:
            return ""
        if int(session.get("expires-at") or 0) <= time.time():
            return ""
        headers = {"Authorization": f"Bearer {session.get('access-token', '')}"}
        response = self.http.post(self.config.api_url("/api/tokens:refresh"), headers=headers)
        if response.status_code != 200:
            return ""
        answer = response.json()
        cache_sign_in(self.config, answer["token"], int(time.time()) + int(answer["expires_in"]))
        return answer["token"]

    def exchange_key(self) -> dict:
        """Trade the API key for a JWT (POST /api/tokens) and cache it in the session file."""
        self.config.api_url("/api/tokens")  # no server URL: say that first
        if not self.config.x_api_key:
            raise CliError(
                "No API key and no sign-in: run `portal login`, or `portal config set` with an API key, "
                "or pass --x-api-key (or set PORTAL_X_API_KEY)."
            )
        answer = self.json_of(self.send("POST", "/api/tokens", headers={"X-API-Key": self.config.x_api_key}))
        if not isinstance(answer, dict) or "token" not in answer:
            raise self.not_portal("/api/tokens")
        _cache_token(self.config, answer["token"], int(time.time()) + int(answer["expires_in"]))
        return answer


def http_client() -> httpx.Client:
    return httpx.Client(
        timeout=TIMEOUT, headers={"User-Agent": f"portal-cli/{__version__}"}, transport=LocalhostTransport()
    )


class LocalhostTransport(httpx.HTTPTransport):
    """`http://<name>.localhost` reaches this machine, as in browsers (RFC 6761 reserves the names for
    loopback; the system resolver often knows only `localhost`): `make run`'s demo tenant is
    http://demo.localhost:8000. The tenant still comes from the Host header."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "http" and request.url.host.endswith(".localhost"):
            request.headers["Host"] = request.url.netloc.decode("ascii")
            request.url = request.url.copy_with(host="127.0.0.1")
        return super().handle_request(request)


def problem_line(response: httpx.Response) -> str:
    """The server's problem+json as `title: detail`, or the status and reason."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if isinstance(problem, dict) and (problem.get("title") or problem.get("detail")):
        title, detail = (
            problem.get("title", ""),
            problem.get("detail", "") or _field_errors(problem.get("errors")),
        )
        line = f"{title}: {detail}" if title and detail and detail != title else title or detail
        code = problem.get("code")
        stable = f" [{code}]" if isinstance(code, str) and code.isupper() else ""  # the licensing codes
        return f"{line} ({response.status_code}){stable}"
    return f"{response.status_code} {response.reason_phrase} from {response.request.url}"


def _field_errors(errors, path: tuple = ()) -> str:
    """`field: message; other: message` from a problem's `errors` (input that was refused)."""
    if isinstance(errors, dict):
        parts = (_field_errors(v, path if k == "non_field_errors" else (*path, k)) for k, v in errors.items())
        return "; ".join(part for part in parts if part)
    if not isinstance(errors, list):
        return ""
    if any(isinstance(item, dict | list) for item in errors):
        return "; ".join(part for part in (_field_errors(item, path) for item in errors) if part)
    text = " ".join(map(str, errors))
    return f"{'.'.join(map(str, path))}: {text}" if path else text


def _exit_code(status: int) -> int:
    return {401: 3, 403: 4, 404: 5, 429: 6}.get(status, 1)


def _reason(exc: httpx.HTTPError) -> str:
    cause = exc.__cause__ or exc.__context__
    return str(cause or exc) or type(exc).__name__


def _no_retry() -> bool:
    return os.environ.get("PORTAL_NO_RETRY_RATE_LIMITING", "") not in ("", "0", "false")


def _wait(response: httpx.Response, attempt: int) -> float:
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        seconds = 2.0**attempt  # no usable Retry-After: back off exponentially
    return min(MAX_WAIT, max(0.0, seconds)) + random.uniform(0, 0.25)  # noqa: S311 (jitter)


def _cached_token(config: Settings) -> str:
    session = cached_session()
    same_origin = session.get("server-url") == config.server_url and (
        session.get("signed-in") or session.get("key") == config.key_fingerprint
    )
    fresh = int(session.get("expires-at") or 0) - RENEW_BEFORE > time.time()
    return session.get("access-token", "") if same_origin and fresh else ""


def cache_sign_in(config: Settings, token: str, expires_at: int) -> None:
    """Cache a `portal login` token: used before the API key, and renewed while it lasts."""
    _cache_token(config, token, expires_at, signed_in=True)


def _cache_token(config: Settings, token: str, expires_at: int, *, signed_in: bool = False) -> None:
    session = {
        "server-url": config.server_url,
        "key": config.key_fingerprint,
        "access-token": token,
        "expires-at": expires_at,
    }
    if signed_in:
        session["signed-in"] = True
    settings.write_private(settings.session_path(), yaml.safe_dump(session, sort_keys=False))


def cached_session() -> dict:
    """The session file as stored ({} when there is none)."""
    try:
        session = yaml.safe_load(settings.session_path().read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return session if isinstance(session, dict) else {}


def token_claims(token: str) -> dict:
    """A JWT's claims, for display only: the server verifies tokens, the CLI does not need to."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        raise CliError("The access token is not a JWT.") from None
