import re

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from apikeys import keys


def test_a_key_is_the_prefix_32_base62_characters_and_a_6_character_checksum():
    key = keys.generate()
    assert re.fullmatch(r"pak_[0-9A-Za-z]{38}", key)
    assert keys.is_well_formed(key)


def test_keys_do_not_repeat():
    assert len({keys.generate() for _ in range(2000)}) == 2000


def test_every_single_character_change_breaks_the_checksum():
    key = keys.generate()
    for position in range(len(keys.PREFIX), len(key)):
        for replacement in "0aZ":
            if key[position] != replacement:
                mutated = key[:position] + replacement + key[position + 1 :]
                assert not keys.is_well_formed(mutated), (position, replacement)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "pak_",
        "PAK_" + "a" * 38,
        "pat_" + "a" * 38,
        "pak_" + "a" * 37,
        "pak_" + "a" * 39,
        "pak_" + "!" * 38,
        None,
    ],
)
def test_malformed_keys_are_refused(bad):
    assert not keys.is_well_formed(bad)


def test_a_body_under_another_prefix_is_refused():
    key = keys.generate()
    assert not keys.is_well_formed("pak_" + key[4:-6] + keys._base62(0, 6))


def test_the_digest_is_sha256_hex_of_the_whole_key_and_the_prefix_shows_four_characters():
    key = keys.generate()
    assert re.fullmatch(r"[0-9a-f]{64}", keys.digest(key))
    assert keys.digest(key) != keys.digest(keys.generate())
    assert keys.display_prefix(key) == key[:8]


def test_the_checksum_is_fixed_width_even_for_small_crcs():
    assert keys._base62(0, 6) == "000000"
    assert keys._base62(2**32 - 1, 6) == "4gfFC3"


# Property tests: for any key and any single-character change, the checksum refuses it, and the
# token grant refuses it before touching the database (no `db` fixture here: a query would raise).
_key_chars = st.sampled_from(keys.ALPHABET)


@hyp_settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_single_character_change_fails_the_checksum_without_a_query(data):
    from apikeys import grants

    body = data.draw(st.text(alphabet=keys.ALPHABET, min_size=keys.BODY_LENGTH, max_size=keys.BODY_LENGTH))
    key = f"{keys.PREFIX}{body}{keys.checksum(body)}"
    assert keys.is_well_formed(key)
    position = data.draw(st.integers(min_value=0, max_value=len(key) - 1))
    replacement = data.draw((_key_chars | st.sampled_from("_-+/ =")).filter(lambda c: c != key[position]))
    mutated = key[:position] + replacement + key[position + 1 :]
    assert not keys.is_well_formed(mutated)
    with pytest.raises(grants.Refused, match="malformed"):
        grants.token_for_apikey(key_text=mutated, tenant=None, ip=None)


@hyp_settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_arbitrary_text_is_never_taken_for_a_key(text):
    assert keys.is_well_formed(text) == (text.startswith("pak_") and _checks_out(text))


def _checks_out(text: str) -> bool:
    body = text[4:-6]
    return (
        len(text) == keys.KEY_LENGTH
        and text[-6:] == keys.checksum(body)
        and body.isalnum()
        and body.isascii()
    )
