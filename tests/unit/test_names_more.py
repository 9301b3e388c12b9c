"""The name normaliser's harder cases: capital surnames, single words, particles as given-name
syllables, invisible format characters."""

from __future__ import annotations

import pytest

from bot.names import (
    MatchStrength,
    NameIndex,
    name_keys,
    normalize_text,
    parse_name,
    same_person_name,
)

STRONG = MatchStrength.STRONG
PROBABLE = MatchStrength.PROBABLE


def _index(name: str) -> NameIndex[str]:
    index: NameIndex[str] = NameIndex()
    index.add("followed", name)
    return index


# --- A capital group ending a mixed-case name is a surname --------------------------------------


@pytest.mark.parametrize(
    ("caps", "plain"),
    [("Jun LIU", "Jun Liu"), ("Wei LI", "Wei Li"), ("Andrew NG", "Andrew Ng"), ("Yi MA", "Yi Ma")],
)
def test_short_capital_surname_is_a_surname_not_initials(caps: str, plain: str) -> None:
    assert name_keys(caps).full == name_keys(plain).full != frozenset()
    assert not name_keys(caps).abbreviated
    assert _index(caps).match(plain) == {"followed": STRONG}
    assert _index(plain).match(caps) == {"followed": STRONG}


def test_capital_surname_does_not_match_its_given_name_as_a_surname() -> None:
    index = _index("Jun LIU")
    assert index.match("Lei Jun") == {}
    assert index.match("Liang Jun") == {}
    assert index.match("J. Liu") == {"followed": PROBABLE}
    assert _index("Lei Jun").match("Jun LIU") == {}


def test_capital_surname_with_particle_and_surname_first() -> None:
    assert parse_name("Jean LE GALL").surname == ("le", "gall")
    assert name_keys("LIU, Jun").full == name_keys("Jun Liu").full


@pytest.mark.parametrize(
    ("name", "initial"),
    [
        ("JF Smith", "j smith"),
        ("J.-P. Dupont", "j dupont"),
        ("J.-P. DUPONT", "j dupont"),
        ("Smith, JF", "j smith"),
        ("Steiner A", "a steiner"),
        ("Roberts J.C.", "j roberts"),
    ],
)
def test_real_initials_are_still_initials(name: str, initial: str) -> None:
    keys = name_keys(name)
    assert keys.abbreviated, name
    assert keys.initial == {initial}, name


def test_undotted_middle_initials_before_a_surname_stay_initials() -> None:
    assert name_keys("John JF Smith").full == {"john smith"}
    assert name_keys("JUN LIU").full == {"jun liu"}  # all capitals: every group is a word


# --- A single word keys only itself ------------------------------------------------------------


@pytest.mark.parametrize("name", ["Mausam", "王小明"])
def test_single_word_name_matches_the_same_word(name: str) -> None:
    keys = name_keys(name)
    assert not keys.empty
    assert _index(name).match(name) == {"followed": STRONG}
    assert same_person_name(name, f" {name} ")


def test_single_word_matches_no_multi_word_name() -> None:
    index = _index("Mausam")
    assert index.match("MAUSAM") == {"followed": STRONG}
    for other in ("Mausam Singh", "Ravi Mausam", "M. Mausam", "Mausam, Ravi", "Mau Sam"):
        assert index.match(other) == {}, other
    for followed in ("Mausam Singh", "Ravi Mausam", "M. Mausam", "Mau Sam"):
        assert _index(followed).match("Mausam") == {}, followed
    assert _index("王小明").match("王 小明") == {}


def test_a_particle_surname_alone_still_has_no_keys() -> None:
    assert name_keys("Del Maestro").empty
    assert _index("Adrian Del Maestro").match("Del Maestro") == {}


# --- A weak particle after a given name may be a given-name syllable ---------------------------


@pytest.mark.parametrize(
    ("spaced", "joined"),
    [
        ("Jia Bin Huang", "Jiabin Huang"),
        ("Xiao Le Chen", "Xiaole Chen"),
        ("Yu Da Wang", "Yuda Wang"),
        ("Hong Di Li", "Hongdi Li"),
        ("Kai Ming He", "Kaiming He"),
    ],
)
def test_particle_syllable_in_a_given_name_matches_the_joined_name(
    spaced: str, joined: str
) -> None:
    assert _index(joined).match(spaced) == {"followed": STRONG}
    assert _index(spaced).match(joined) == {"followed": STRONG}
    hyphenated = spaced.replace(" ", "-", 1)
    assert _index(spaced).match(hyphenated) == {"followed": STRONG}


def test_real_particles_gain_no_looser_matches() -> None:
    assert parse_name("Aaron van den Oord").surname == ("van", "den", "oord")
    assert _index("Aaron van den Oord").match("Aaron Oord") == {}
    beethoven = _index("Ludwig van Beethoven")
    assert beethoven.match("Ludwig Van Beethoven") == {"followed": STRONG}
    assert beethoven.match("L. van Beethoven") == {"followed": PROBABLE}
    assert beethoven.match("L. Beethoven") == {}
    assert beethoven.match("Ludwig Beethoven") == {}
    cruz = _index("Maria de la Cruz")
    assert cruz.match("Maria De La Cruz") == {"followed": STRONG}
    assert cruz.match("Maria Cruz") == {}
    assert cruz.match("M. Cruz") == {}
    assert _index("Jia Bin Huang").match("Bin Huang") == {}
    assert _index("J. Bin Huang").match("Bin Huang") == {}


# --- Invisible format characters ---------------------------------------------------------------


@pytest.mark.parametrize("hidden", ["\u00ad", "\u200b", "\u200d", "\ufeff", "\u2060"])
def test_format_characters_inside_a_name_are_deleted(hidden: str) -> None:
    name = f"Andreas Stei{hidden}ner"
    assert name_keys(name).full == {"andreas steiner"}
    assert _index("Andreas Steiner").match(name) == {"followed": STRONG}
    assert same_person_name(f"Stei{hidden}ner", "Steiner")
    assert normalize_text(f"Stei{hidden}ner") == "steiner"
