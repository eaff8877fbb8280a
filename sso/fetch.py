"""What the portal fetches from a tenant's identity provider (its discovery document, token and
userinfo endpoints) goes through this session: https only, no redirects, a deadline per read, and
never to a loopback, private, link-local or otherwise reserved address, checked as it connects
(a tenant admin chooses the issuer: it must not point the server at its own network).
PORTAL_SSO_ALLOW_HTTP and PORTAL_SSO_ALLOW_PRIVATE lift the last two for development and tests."""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

TIMEOUT = (5, 5)  # seconds to connect, and between reads


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
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and settings.PORTAL_SSO_ALLOW_HTTP):
        raise Refused(f"{url} is not an https:// address.")
    if parts.username or parts.password or not parts.hostname:
        raise Refused(f"{url} names no host, or carries a user name or password.")
    if not settings.PORTAL_SSO_ALLOW_PRIVATE:
        for address in _addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)):
            if not address.is_global:
                raise Refused(f"{parts.hostname} is at {address}, an address the portal does not reach.")


def origin(url: str) -> str:
    """scheme://host[:port], rebuilt from its parts (never a URL's raw netloc)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _addresses(host: str, port: int) -> list:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Refused(f"{host} cannot be found: {exc}.") from None
    return [ipaddress.ip_address(entry[4][0]) for entry in found]


class _PublicOnly(HTTPAdapter):
    def send(self, request, **kwargs):
        check_url(request.url)
        return super().send(request, **kwargs)


def _with_timeout(request):
    def call(method, url, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs["allow_redirects"] = False  # a redirect is an error for the caller: it could lead anywhere
        return request(method, url, **kwargs)

    return call
