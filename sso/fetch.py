"""What the portal fetches from a tenant's identity provider (its discovery document, token and
userinfo endpoints) goes through this session: https only, no redirects, a deadline per read, and
never to a loopback, private, link-local or otherwise reserved address, checked before and again
at the socket it connects (a tenant admin chooses the issuer: it must not point the server at its
own network, nor a name whose address changes between the two, as DNS rebinding does).
PORTAL_SSO_ALLOW_HTTP and PORTAL_SSO_ALLOW_PRIVATE lift the last two for development and tests."""

import ipaddress
import re
import socket
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

TIMEOUT = (5, 5)  # seconds to connect, and between reads
DEADLINE = 10  # seconds for a whole answer (a provider dripping bytes holds no worker longer)
MAX_BYTES = 1_000_000  # discovery documents, tokens and userinfo answers are a few kB
HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$", re.I)


class Refused(requests.ConnectionError):
    """Not fetched: the address is not one the portal may reach."""


def session() -> requests.Session:
    http = requests.Session()
    http.mount("https://", _PublicOnly())
    http.mount("http://", _PublicOnly())
    http.request = _with_timeout(http.request)
    return http


def check_url(url: str) -> None:
    """Raise Refused for a URL the portal may not fetch (scheme, credentials, address)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise Refused(f"{url} is no URL.") from None
    if parts.scheme != "https" and not (parts.scheme == "http" and settings.PORTAL_SSO_ALLOW_HTTP):
        raise Refused(f"{url} is not an https:// address.")
    if parts.username or parts.password or not _is_host(parts.hostname or ""):
        raise Refused(f"{url} names no host, or carries a user name or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused(f"{url} names no port a connection can use.") from None
    if not settings.PORTAL_SSO_ALLOW_PRIVATE:
        for address in _addresses(parts.hostname, port):
            if not address.is_global:
                raise Refused(f"{parts.hostname} is at {address}, an address the portal does not reach.")


def origin(url: str) -> str:
    """scheme://host[:port], rebuilt from its checked parts (never a URL's raw netloc)."""
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def _is_host(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return bool(HOSTNAME.match(name))
    return True


def _addresses(host: str, port: int) -> list:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Refused(f"{host} cannot be found: {exc}.") from None
    return [ipaddress.ip_address(entry[4][0]) for entry in found]


class _PublicOnly(HTTPAdapter):
    """Checks the URL before sending, and the address actually connected to after connecting: a
    name that resolves to a public address for the check and to a private one for the connection
    (DNS rebinding) is refused at the socket, before a byte is sent."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}

    def send(self, request, **kwargs):
        check_url(request.url)
        return super().send(request, **kwargs)


class _PeerRefused(OSError):
    """The connection reached an address the portal does not reach (urllib3 wraps it)."""


class _CheckedPeer:
    def _new_conn(self):
        sock = super()._new_conn()
        if not settings.PORTAL_SSO_ALLOW_PRIVATE:
            peer = ipaddress.ip_address(sock.getpeername()[0])
            if not peer.is_global:
                sock.close()
                raise _PeerRefused(f"{self.host} connected to {peer}, an address the portal does not reach.")
        return sock


class _CheckedHTTPConnection(_CheckedPeer, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedPeer, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


def _with_timeout(request):
    def call(method, url, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs["allow_redirects"] = False  # a redirect is an error for the caller: it could lead anywhere
        kwargs["stream"] = True  # read below, within DEADLINE and MAX_BYTES
        deadline = time.monotonic() + DEADLINE
        response = request(method, url, **kwargs)
        body = bytearray()
        with response:
            while chunk := response.raw.read1(16384):  # whatever one read brings: a drip cannot wait long
                body += chunk
                if len(body) > MAX_BYTES or time.monotonic() > deadline:
                    raise Refused(f"{url} answered too much, or too slowly.")
        response._content, response._content_consumed = bytes(body), True
        return response

    return call
