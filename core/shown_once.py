"""A secret shown once across Post/Redirect/Get: the POST keeps it, encrypted, in the session and
redirects to the page with the key to it in the URL (`?shown=`); that GET takes it out, so a
reload or Back shows nothing. Neither half alone reads it (a database dump, a logged URL), and
after TTL seconds, or once another secret is kept, it is gone."""

import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.http import HttpRequest, HttpResponseRedirect

PARAMETER = "shown"
TTL = 300  # seconds from the POST to its redirected GET
_PREFIX = "shown-once:"


def redirect(request: HttpRequest, to: str, value) -> HttpResponseRedirect:
    """303 to the page `to` that shows `value` (JSON-serialisable) to its next GET only."""
    key = Fernet.generate_key()
    for name in [name for name in request.session.keys() if name.startswith(_PREFIX)]:  # noqa: SIM118 (no __iter__)
        del request.session[name]  # one pending at a time: an abandoned one goes now
    request.session[_name(key)] = Fernet(key).encrypt(json.dumps(value).encode()).decode()
    response = HttpResponseRedirect(f"{to}?{PARAMETER}={key.decode()}")
    response.status_code = 303
    return response


def take(request: HttpRequest):
    """The value the POST kept for this GET, once; None if there is none (or it expired)."""
    key = request.GET.get(PARAMETER, "").encode()
    if not key:
        return None
    token = request.session.pop(_name(key), None)
    if token is None:
        return None
    try:
        return json.loads(Fernet(key).decrypt(token.encode(), ttl=TTL))
    except (InvalidToken, ValueError):
        return None


def _name(key: bytes) -> str:
    return _PREFIX + hashlib.sha256(key).hexdigest()[:32]
