"""A secret shown once across Post/Redirect/Get: the POST keeps it, encrypted, in the session and
redirects to the page with the key to it in the URL (`?shown=`); that page's GET takes it out, so
a reload or Back shows nothing. Neither half alone reads it (a database dump, a logged URL); an
entry of another kind, or older than TTL seconds, is never shown, and is dropped by the next
look, as the pending one is when another secret is kept."""

import hashlib
import json
import time

from cryptography.fernet import Fernet, InvalidToken
from django.http import HttpRequest, HttpResponseRedirect

PARAMETER = "shown"
TTL = 300  # seconds from the POST to its redirected GET
_PREFIX = "shown-once:"


def redirect(request: HttpRequest, to: str, kind: str, value) -> HttpResponseRedirect:
    """303 to the page `to`, whose GET shows `value` (JSON-serialisable) of this `kind` once."""
    key = Fernet.generate_key()
    _drop(request, lambda stored: True)  # one pending at a time: an abandoned one goes now
    token = Fernet(key).encrypt(json.dumps(value).encode()).decode()
    request.session[_name(kind, key)] = {"at": time.time(), "token": token}
    response = HttpResponseRedirect(f"{to}?{PARAMETER}={key.decode()}")
    response.status_code = 303
    response["Cache-Control"] = "no-store"  # its Location holds the key
    return response


def take(request: HttpRequest, kind: str):
    """The value a POST kept for this GET, once; None if there is none, of another kind, or old."""
    _drop(request, lambda stored: time.time() - stored["at"] > TTL)
    key = request.GET.get(PARAMETER, "").encode()
    if request.method != "GET" or not key:
        return None
    stored = request.session.pop(_name(kind, key), None)
    if stored is None:
        return None
    try:
        return json.loads(Fernet(key).decrypt(stored["token"].encode(), ttl=TTL))
    except (InvalidToken, ValueError):
        return None


def _drop(request: HttpRequest, old) -> None:
    session = request.session
    for name in [name for name in session.keys() if name.startswith(_PREFIX)]:  # noqa: SIM118 (no __iter__)
        stored = session[name]
        if not isinstance(stored, dict) or old(stored):
            del session[name]


def _name(kind: str, key: bytes) -> str:
    return f"{_PREFIX}{kind}:{hashlib.sha256(key).hexdigest()[:32]}"


def protect(request: HttpRequest, response):
    """A page that may show a secret: never stored, and its URL (holding the key) never sent on as
    a Referer, should the key outlive this GET."""
    response["Cache-Control"] = "no-store"
    if PARAMETER in request.GET:
        response["Referrer-Policy"] = "no-referrer"
    return response
