"""Networks as people write them (CIDR ranges, IPv4 and IPv6) and whether an address is in one.
Pure: no ORM, no settings. Lists are kept as normalised text; the parsed form of each list (and
of each address) is cached, so a check is a binary search over integers."""

import bisect
import functools
import ipaddress
from collections.abc import Iterable

MAX_NETWORKS = 100  # per list: a policy, not a routing table


class BadNetworks(ValueError):
    """A list that is not a list of networks; the message names the entry, for the person."""


def normalised(entries: Iterable[str]) -> list[str]:
    """`entries` (one per item; blanks and duplicates dropped) as canonical CIDR text, in order.
    A bare address is its own /32 or /128; host bits are cleared (`10.1.2.3/8` → `10.0.0.0/8`)."""
    seen: dict[str, None] = {}
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        if "%" in entry:  # an IPv6 zone (`fe80::1%eth0/64`): the range is the same without it
            address_part, _, rest = entry.partition("%")
            entry = address_part + (rest[rest.index("/") :] if "/" in rest else "")
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise BadNetworks(f"“{entry[:60]}” is not an IPv4 or IPv6 address or CIDR range.") from None
        seen[str(_unmapped(network))] = None
    if len(seen) > MAX_NETWORKS:
        raise BadNetworks(f"At most {MAX_NETWORKS} ranges; merge neighbouring ones into wider ranges.")
    return list(seen)


def split(text: str) -> list[str]:
    """A textarea's or a flag's list: entries separated by commas, spaces or new lines."""
    return text.replace(",", " ").split()


@functools.lru_cache(maxsize=4096)
def address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address `text` names (an IPv4-mapped IPv6 address as its IPv4 one), or None."""
    try:
        ip = ipaddress.ip_address(text or "")
    except ValueError:
        return None
    if ip.version == 6 and ip.scope_id is not None:  # a zone (`fe80::1%eth0`) names no other host
        ip = ipaddress.IPv6Address(ip.packed)
    return ip.ipv4_mapped or ip if ip.version == 6 else ip


def cleaned(text: str | None) -> str | None:
    """An address as every record keeps it: `address`'s form as text (None: not an address)."""
    ip = address(text)
    return str(ip) if ip is not None else None


def within(text: str | None, networks: Iterable[str]) -> bool:
    """Whether the address `text` is in one of `networks` (normalised text); never for no address.
    A binary search over the list's merged ranges: the same cost for 1 range or 100."""
    ip = address(text)
    if ip is None:
        return False
    starts, ends = _spans(tuple(networks))[ip.version]
    number = int(ip)
    found = bisect.bisect_right(starts, number) - 1
    return found >= 0 and number <= ends[found]


def inside(entries: Iterable[str], outer: Iterable[str]) -> bool:
    """Whether every network of `entries` lies within one of `outer` (all normalised text)."""
    wide = _networks(tuple(outer))
    return all(
        any(net.version == w.version and net.subnet_of(w) for w in wide) for net in _networks(tuple(entries))
    )


@functools.lru_cache(maxsize=1024)
def _networks(entries: tuple[str, ...]) -> tuple:
    """The networks of a list; an entry that is none (written by hand, past `normalised`) allows
    nobody rather than failing every request."""
    found = []
    for entry in entries:
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except (TypeError, ValueError):
            continue
    return tuple(found)


@functools.lru_cache(maxsize=1024)
def _spans(entries: tuple[str, ...]) -> dict[int, tuple[list[int], list[int]]]:
    """Per IP version, the list's ranges as sorted, merged [first, last] integers."""
    spans: dict[int, tuple[list[int], list[int]]] = {4: ([], []), 6: ([], [])}
    ranges = sorted(
        (net.version, int(net.network_address), int(net.broadcast_address)) for net in _networks(entries)
    )
    for version, first, last in ranges:
        starts, ends = spans[version]
        if ends and first <= ends[-1] + 1:
            ends[-1] = max(ends[-1], last)
        else:
            starts.append(first)
            ends.append(last)
    return spans


def _unmapped(network):
    """`::ffff:10.0.0.0/104` is the IPv4 range 10.0.0.0/8: clients reach us by their IPv4 address."""
    if network.version == 6 and network.network_address.ipv4_mapped and network.prefixlen >= 96:
        return ipaddress.ip_network(f"{network.network_address.ipv4_mapped}/{network.prefixlen - 96}")
    return network
