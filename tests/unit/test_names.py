"""The name normaliser: TeX, accents, particles, initials, hyphens, order, and matching strength."""

from __future__ import annotations

import pytest

from bot.names import (
    MatchStrength,
    NameIndex,
    decode_tex,
    fold_accents,
    name_keys,
    normalize_name,
    normalize_text,
    parse_name,
)

STRONG = MatchStrength.STRONG
PROBABLE = MatchStrength.PROBABLE


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        ("Benjamin R\\'emy", "Benjamin Rémy"),
        ("R\\'{e}my", "Rémy"),
        ("{\\'e}cole", "école"),
        ('J\\"urgen Jost', "Jürgen Jost"),
        ('{\\"u}ber', "über"),
        ('M{\\"{u}}ller', "Müller"),
        ("Fran\\c{c}ois", "François"),
        ("Fran\\c cois", "François"),
        ("Przemys{\\l}aw Olbratowski", "Przemysław Olbratowski"),
        ("Jaros{\\l}aw \\.Zygierewicz", "Jarosław Żygierewicz"),
        ("Anton\\'{\\i}n Dvo\\v{r}\\'ak", "Antonín Dvořák"),
        ("Erd\\H{o}s", "Erdős"),
        ("Bj{\\o}rn", "Bjørn"),
        ("\\O stergaard", "Østergaard"),
        ("Stra\\ss e", "Straße"),
        ("Pawe\\l Niedbalski", "Paweł Niedbalski"),
        ("Ca\\~nas", "Cañas"),
        ("J.~Smith", "J. Smith"),
        ("Andreas Steiner", "Andreas Steiner"),
    ],
)
def test_decode_tex(tex: str, expected: str) -> None:
    assert decode_tex(tex) == expected


def test_fold_accents_covers_letters_without_decomposition() -> None:
    assert fold_accents("Łukasz Wójcik, Søren, Straße, Þór, Yılmaz") == (
        "Lukasz Wojcik, Soren, Strasse, Thor, Yilmaz"
    )
    assert fold_accents("André") == "Andre"


def test_tex_and_unicode_and_ascii_spellings_share_the_full_key() -> None:
    assert name_keys("Benjamin R\\'emy").full == name_keys("Benjamin Rémy").full
    assert name_keys("Benjamin Rémy").full == name_keys("Benjamin Remy").full == {"benjamin remy"}


def test_andre_and_andré_are_the_same_person() -> None:
    index: NameIndex[str] = NameIndex()
    index.add("pinto", "André Susano Pinto")
    assert index.match("Andre Susano Pinto") == {"pinto": STRONG}
    assert index.match("ANDRÉ SUSANO PINTO") == {"pinto": STRONG}


@pytest.mark.parametrize("variant", ["Kai-Ming He", "Kaiming He", "Kai Ming He", "kai-ming he"])
def test_hyphenated_joined_and_split_given_names_match_strongly(variant: str) -> None:
    keys = name_keys("Kai-Ming He")
    assert {"kaiming he", "kai ming he"} <= keys.full
    index: NameIndex[str] = NameIndex()
    index.add("kmh", variant)
    for other in ("Kai-Ming He", "Kaiming He", "Kai Ming He"):
        assert index.match(other) == {"kmh": STRONG}, (variant, other)


def test_abbreviated_hyphenated_given_name_is_a_probable_match() -> None:
    index: NameIndex[str] = NameIndex()
    index.add("kmh", "Kaiming He")
    assert index.match("K.-M. He") == {"kmh": PROBABLE}
    assert index.match("K. He") == {"kmh": PROBABLE}
    assert index.match("Xiaofei He") == {}


def test_initial_key_matches_but_full_key_does_not() -> None:
    short, full = name_keys("A. Steiner"), name_keys("Andreas Steiner")
    assert short.initial == full.initial == {"a steiner"}
    assert short.full == frozenset()
    assert not short.full & full.full
    assert short.abbreviated and not full.abbreviated
    index: NameIndex[str] = NameIndex()
    index.add("steiner", "Andreas Steiner")
    assert index.match("A. Steiner") == {"steiner": PROBABLE}
    assert index.match("Andreas Steiner") == {"steiner": STRONG}


def test_two_different_full_first_names_never_match() -> None:
    index: NameIndex[str] = NameIndex()
    index.add("steiner", "Andreas Steiner")
    assert index.match("Anna Steiner") == {}
    assert index.match("B. Steiner") == {}


def test_following_by_initial_matches_any_full_first_name_probably() -> None:
    index: NameIndex[str] = NameIndex()
    index.add("steiner", "A. Steiner")
    assert index.match("Andreas Steiner") == {"steiner": PROBABLE}
    assert index.match("Anna Steiner") == {"steiner": PROBABLE}


def test_del_maestro_particle_stays_in_the_surname() -> None:
    assert parse_name("Adrian Del Maestro").surname == ("del", "maestro")
    assert parse_name("A. Del Maestro").surname == ("del", "maestro")
    alone = name_keys("Del Maestro")
    assert alone.surname == "del maestro"
    assert alone.empty  # no given name: matches nothing
    index: NameIndex[str] = NameIndex()
    index.add("adm", "Adrian Del Maestro")
    assert index.match("A. Del Maestro") == {"adm": PROBABLE}
    assert index.match("Adrian Del Maestro") == {"adm": STRONG}
    assert index.match("Adrian del Maestro") == {"adm": STRONG}
    assert index.match("Adrian DelMaestro") == {"adm": STRONG}
    assert index.match("Del Maestro") == {}
    assert index.match("Adrian Maestro") == {}


def test_van_der_waals() -> None:
    full = name_keys("Johannes Diderik van der Waals")
    assert full.surname == "van der waals"
    assert "j van der waals" in full.initial
    assert name_keys("Van Der Waals").surname == "van der waals"
    index: NameIndex[str] = NameIndex()
    index.add("vdw", "Johannes Diderik van der Waals")
    assert index.match("J. D. van der Waals") == {"vdw": PROBABLE}
    assert index.match("Johannes Diderik Van Der Waals") == {"vdw": STRONG}
    assert index.match("Johannes van der Waals") == {"vdw": PROBABLE}  # middle name dropped


@pytest.mark.parametrize(
    ("name", "given", "surname"),
    [
        ("Di Wang", "di", "wang"),
        ("Le Song", "le", "song"),
        ("Van Nguyen", "van", "nguyen"),
        ("Maria de la Cruz", "maria", "de la cruz"),
        ("Ludwig van Beethoven", "ludwig", "van beethoven"),
        ("Joao Bachiega Jr", "joao", "bachiega"),
        ("John Smith, Jr.", "john", "smith"),
    ],
)
def test_particles_that_are_also_given_names(name: str, given: str, surname: str) -> None:
    parsed = parse_name(name)
    assert parsed.given[0][0].text == given
    assert " ".join(parsed.surname) == surname


def test_middle_initials_are_ignored_for_the_full_key() -> None:
    assert name_keys("John F. Smith").full == name_keys("John Smith").full == {"john smith"}
    index: NameIndex[str] = NameIndex()
    index.add("js", "John Smith")
    assert index.match("John F. Smith") == {"js": STRONG}
    assert index.match("J. F. Smith") == {"js": PROBABLE}
    assert index.match("JF Smith") == {"js": PROBABLE}


def test_extra_middle_name_is_probable_not_strong() -> None:
    index: NameIndex[str] = NameIndex()
    index.add("js", "John Smith")
    assert index.match("John Frank Smith") == {"js": PROBABLE}


def test_all_caps_extra_whitespace_and_surname_first_order() -> None:
    expected = name_keys("Andreas Steiner")
    for variant in (
        "ANDREAS STEINER",
        "  Andreas \t  Steiner  ",
        "Steiner, Andreas",
        "STEINER, ANDREAS",
    ):
        assert name_keys(variant).full == expected.full, variant
        assert name_keys(variant).initial == expected.initial, variant
    assert name_keys("Steiner, A.").initial == {"a steiner"}
    assert name_keys("Del Maestro, Adrian").full == name_keys("Adrian Del Maestro").full


def test_initials_in_many_spellings() -> None:
    # Undotted "Roberts JC" is not here: a capital group ending a name is a surname (Jun LIU).
    for variant in ("J.C. Roberts", "J. C. Roberts", "J.-C. Roberts", "JC Roberts", "Roberts J.C."):
        keys = name_keys(variant)
        assert keys.abbreviated, variant
        assert keys.initial == {"j roberts"}, variant
    assert name_keys("Yu. B. Ivanov").initial == {"y ivanov"}


def test_apostrophes_and_parenthesised_affiliations() -> None:
    assert name_keys("Conan O'Brien").full == name_keys("Conan OBrien").full == {"conan obrien"}
    assert name_keys("Benjamin R\\'emy (LEMTA)").full == {"benjamin remy"}


def test_garbage_names_have_no_keys() -> None:
    for raw in ("", "   ", "(IFPEN)", "123", "A.", "J"):
        assert name_keys(raw).empty, raw


def test_normalize_helpers() -> None:
    assert normalize_name("Benjamin R\\'emy") == "benjamin remy"
    assert normalize_name("A. Del Maestro") == "a del maestro"
    assert normalize_text('Schr\\"odinger--Newton: Équations!') == "schrodinger newton equations"


def test_index_returns_every_owner_sharing_a_key() -> None:
    index: NameIndex[int] = NameIndex()
    index.add(1, "Wei Zhang")
    index.add(2, "Wei Zhang")
    index.add(3, "Wen Zhang")
    assert index.match("Wei Zhang") == {1: STRONG, 2: STRONG}
    assert index.match("W. Zhang") == {1: PROBABLE, 2: PROBABLE, 3: PROBABLE}
    assert len(index) == 3


def test_strong_wins_over_probable_for_the_same_owner() -> None:
    index: NameIndex[str] = NameIndex()
    index.add("x", "A. Steiner")
    index.add("x", "Andreas Steiner")
    assert index.match("Andreas Steiner") == {"x": STRONG}
    assert MatchStrength.STRONG > MatchStrength.PROBABLE
    assert str(MatchStrength.PROBABLE) == "probable"


def test_one_name_equality_for_typed_names() -> None:
    from bot.names import matches_query, names_match, same_person_name

    assert same_person_name("Rémy Lefèvre", "remy lefevre")
    assert same_person_name("Lefèvre, Rémy", "R\\'emy Lef\\`evre")
    assert same_person_name("Dupont", "dupont")  # no given name: folded text only
    assert not same_person_name("Anna Steiner", "Andreas Steiner")
    assert names_match("Kaiming He", ["Someone Else", "Kai-Ming He"])
    assert matches_query("remy", ["Rémy Lefèvre"])
    assert matches_query("LEFÈVRE", ["Remy Lefevre"])
    assert matches_query("", ["Anyone"])
    assert not matches_query("remy", ["Anna Remington"])
