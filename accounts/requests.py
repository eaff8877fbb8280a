"""What a view needs to know about the request's caller, in one place."""

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

from accounts.selectors import current_membership
from accounts.services import Actor
from core import networks


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address: every rate limit, lockout and "last used from" counts by it.

    The peer's address (REMOTE_ADDR), unless the peer is one of PORTAL_TRUSTED_PROXIES: then the
    rightmost X-Forwarded-For entry that is not a trusted proxy, i.e. the address the outermost
    proxy of ours saw. Entries to its left are whatever the client wrote and are never believed,
    so a client cannot pick its own address, and a spoofed header from anywhere else is ignored.
    Kept as one form: no IPv6 zone, an IPv4-mapped address as its IPv4 one (`core.networks`).
    """
    remote = networks.cleaned(request.META.get("REMOTE_ADDR"))
    proxies = settings.PORTAL_TRUSTED_PROXIES
    if not proxies or not networks.within(remote, proxies):
        return remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop = hop.strip()
        if not networks.within(hop, proxies):
            return networks.cleaned(hop) or remote  # a proxy of ours writes addresses only
    return remote


@functools.lru_cache(maxsize=4096)
def limit_unit(ip: str | None) -> str:
    """What rate limits count by for this address: the address, or for IPv6 its /64 — one host
    usually has a whole /64 to pick addresses from (allauth's own limits count the same way)."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return ip or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address) + "/64"
    return ip


def actor_for(request: HttpRequest) -> Actor:
    user = request.user if request.user.is_authenticated else None
    return Actor(user=user, ip=client_ip(request), membership=current_membership(request))
