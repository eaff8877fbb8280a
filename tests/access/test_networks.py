"""core.networks: lists as admins write them, and whether an address is inside (pure)."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import networks


def test_entries_are_normalised_deduplicated_and_kept_in_order():
    written = ["  10.1.2.3/8", "192.0.2.7", "", "2001:DB8::1/48", "10.0.0.0/8", "::ffff:198.51.100.0/120"]
    assert networks.normalised(written) == ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/48", "198.51.100.0/24"]


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "example.org", "10.0.0.0/8; drop", "1.2.3", "::g"])
def test_anything_but_a_network_is_refused_by_name(entry):
    with pytest.raises(networks.BadNetworks, match="is not an IPv4 or IPv6"):
        networks.normalised(["192.0.2.0/24", entry])


def test_a_list_longer_than_the_limit_is_refused():
    many = [f"10.0.{n // 256}.{n % 256}" for n in range(networks.MAX_NETWORKS + 1)]
    with pytest.raises(networks.BadNetworks, match="At most"):
        networks.normalised(many)


def test_a_textarea_splits_on_lines_commas_and_spaces():
    assert networks.split("192.0.2.0/24,\n 2001:db8::/32  10.0.0.1") == [
        "192.0.2.0/24",
        "2001:db8::/32",
        "10.0.0.1",
    ]


def test_an_ipv4_mapped_client_is_its_ipv4_address_and_nothing_is_inside_for_no_address():
    assert networks.within("::ffff:192.0.2.9", ["192.0.2.0/24"])
    assert not networks.within(None, ["0.0.0.0/0"]) and not networks.within("junk", ["0.0.0.0/0"])
    assert not networks.within("192.0.2.9", ["::/0"])  # an IPv4 client is not in an IPv6 range


def test_a_list_is_inside_another_only_when_every_range_is():
    assert networks.inside(["10.1.0.0/16", "10.2.3.4/32"], ["10.0.0.0/8"])
    assert not networks.inside(["10.0.0.0/7"], ["10.0.0.0/8"])
    assert not networks.inside(["2001:db8::/32"], ["10.0.0.0/8"])


@given(st.ip_addresses(v=4), st.integers(min_value=0, max_value=32))
def test_an_address_is_within_exactly_the_ranges_holding_it(ip, prefix):
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    assert networks.within(str(ip), networks.normalised([f"{ip}/{prefix}"]))
    outside = (
        network.broadcast_address + 1
        if network.broadcast_address < ipaddress.IPv4Address("255.255.255.255")
        else None
    )
    if outside is not None:
        assert not networks.within(str(outside), [str(network)])


_networks = st.lists(
    st.one_of(
        st.builds(lambda ip, p: f"{ip}/{p}", st.ip_addresses(v=4), st.integers(0, 32)),
        st.builds(lambda ip, p: f"{ip}/{p}", st.ip_addresses(v=6), st.integers(0, 128)),
    ),
    max_size=12,
)


@given(_networks, st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)))
def test_the_binary_search_answers_as_checking_every_range_would(entries, ip):
    listed = networks.normalised(entries)
    client = (ip.ipv4_mapped or ip) if ip.version == 6 else ip  # as a dual-stack socket reports it
    expected = any(client in ipaddress.ip_network(entry) for entry in listed)
    assert networks.within(str(ip), listed) == expected


def test_an_entry_written_by_hand_that_is_no_network_allows_nobody_and_breaks_nothing():
    assert networks.within("192.0.2.7", ["192.0.2.0/24", "not a network", "10.0.0.0/33"])
    assert not networks.within("10.0.0.1", ["not a network", "10.0.0.0/33"])


def test_an_ipv6_zone_is_no_part_of_a_range_or_an_address():
    assert networks.normalised(["fe80::1%eth0", "fe80::%eth0/64"]) == ["fe80::1/128", "fe80::/64"]
    assert networks.cleaned("fe80::1%" + "a" * 60) == "fe80::1"
    assert networks.cleaned("::ffff:192.0.2.9") == "192.0.2.9" and networks.cleaned("lab") is None
