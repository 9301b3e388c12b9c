"""Personal-name cases around the name itself: titles, degrees, generational suffixes, nicknames,
`Last, First` order, particles and `St.`. Each case says how the name is split and what it matches.
"""

from __future__ import annotations

import pytest

from bot.names import MatchStrength, NameIndex, ParsedName, name_keys, parse_name
from bot.services.homonym_guard import FollowedAuthor, FollowedAuthorMatcher
from bot.sources.arxiv_atom import parse_arxiv_atom
from tests.harness.fake_upstream import arxiv_feed, generate_arxiv_entries

STRONG = MatchStrength.STRONG
PROBABLE = MatchStrength.PROBABLE


def given_of(parsed: ParsedName) -> str:
    """Given tokens spaced, the parts of one token joined by `-`, initials ending in `.`."""
    return " ".join(
        "-".join(part.text + ("." if part.initial else "") for part in token)
        for token in parsed.given
    )


# (name as printed or typed, given names, surname)
SPLITS = [
    # Titles are dropped, never read as an initial or a given name.
    ("Dr. John Doe", "john", "doe"),
    ("Dr John Doe", "john", "doe"),
    ("DR. JOHN DOE", "john", "doe"),
    ("Prof. John Doe", "john", "doe"),
    ("Professor John Doe", "john", "doe"),
    ("Mr. John Doe", "john", "doe"),
    ("Mrs. Jane Doe", "jane", "doe"),
    ("Ms. Jane Doe", "jane", "doe"),
    ("Ms Jane Doe", "jane", "doe"),
    ("Miss Jane Doe", "jane", "doe"),
    ("Rev John A. Kenneth Doe", "john a. kenneth", "doe"),
    ("Rev. Dr. Martin Luther King", "martin luther", "king"),
    ("Sir Isaac Newton", "isaac", "newton"),
    ("Dame Judi Dench", "judi", "dench"),
    ("Prof. Dr.-Ing. Hans Müller", "hans", "muller"),
    ("Dr. rer. nat. Hans Müller", "hans", "muller"),
    ("Col. Jane Roe", "jane", "roe"),
    ("Gen. Jane Roe", "jane", "roe"),
    ("Dr. J. Doe", "j.", "doe"),
    ("Dr. Doe", "", "doe"),
    ("Doe, Dr. John", "john", "doe"),
    ("Doe, John, Dr.", "john", "doe"),
    ("Mr. Van Nguyen", "van", "nguyen"),
    ("Nguyen, Mr. Van", "van", "nguyen"),
    # Degrees and honours are dropped, after a comma or not.
    ("John Smith, Ph. D.", "john", "smith"),
    ("John Doe, Ph.D.", "john", "doe"),
    ("John Doe PhD", "john", "doe"),
    ("John Doe Ph. D.", "john", "doe"),
    ("Jane Roe, MD", "jane", "roe"),
    ("Jane Roe M.D.", "jane", "roe"),
    ("Jane Roe, MD, PhD", "jane", "roe"),
    ("Jane Roe MD-PhD", "jane", "roe"),
    ("Joe Dentist D.D.S.", "joe", "dentist"),
    ("John Doe, CLU, CFP, LUTC", "john", "doe"),
    ("J. Doe MSc", "j.", "doe"),
    ("Jane Roe, M.Sc.", "jane", "roe"),
    ("Paul Nurse FRS", "paul", "nurse"),
    ("Doe, John, PhD", "john", "doe"),
    ("Doe, John PhD", "john", "doe"),
    ("JOHN DOE, PHD", "john", "doe"),
    ("Jane Roe, MA", "jane", "roe"),
    ("Jane Roe M.A.", "jane", "roe"),
    # Generational suffixes, in every position and order.
    ("John Doe Jr", "john", "doe"),
    ("John Doe Jr.", "john", "doe"),
    ("John Doe, Jr.", "john", "doe"),
    ("John Doe Sr.", "john", "doe"),
    ("John Doe III", "john", "doe"),
    ("John Doe IV", "john", "doe"),
    ("Doe Jr., John", "john", "doe"),
    ("Smith Jr., John", "john", "smith"),
    ("Doe III, John", "john", "doe"),
    ("Doe, John, Jr.", "john", "doe"),
    ("Doe, Jr., John", "john", "doe"),
    ("Doe, John Jr.", "john", "doe"),
    ("larry james edward johnson v", "larry james edward", "johnson"),
    ("John Doe Jr., M.D.", "john", "doe"),
    # `Last, First` order.
    ("Doe, John", "john", "doe"),
    ("Doe, J.", "j.", "doe"),
    ("van der Waals, Johannes Diderik", "johannes diderik", "van der waals"),
    # Particles stay in the surname.
    ("Ludwig van Beethoven", "ludwig", "van beethoven"),
    ("Wernher von Braun", "wernher", "von braun"),
    ("Charles de Gaulle", "charles", "de gaulle"),
    ("Leonardo da Vinci", "leonardo", "da vinci"),
    ("Andrea del Verrocchio", "andrea", "del verrocchio"),
    ("Luca della Robbia", "luca", "della robbia"),
    ("Johannes Diderik van der Waals", "johannes diderik", "van der waals"),
    ("Maria de la Cruz", "maria", "de la cruz"),
    ("Abdullah bin Ahmad", "abdullah", "bin ahmad"),
    ("Omar al-Rashid", "omar", "al rashid"),
    ("Van Nguyen", "van", "nguyen"),
    # `St.` and `Ste.` (Saint, Sainte) join the surname; they are not initials.
    ("Jill St. John", "jill", "st john"),
    ("Jill St John", "jill", "st john"),
    ("St. John, Jill", "jill", "st john"),
    ("Jean Ste. Marie", "jean", "ste marie"),
    ("Ste. Marie, Jean", "jean", "ste marie"),
    # Nicknames in quotes or parentheses are dropped.
    ("William 'Bill' Gates", "william", "gates"),
    ('William "Bill" Gates', "william", "gates"),
    ("William “Bill” Gates", "william", "gates"),
    ("Robert (Bob) Smith", "robert", "smith"),
    # Forms that look like affixes but are the name, kept as before.
    ("Smith J.F.", "j.-f.", "smith"),
    ("Smith M.D.", "m.-d.", "smith"),
    ("Doe, MD", "m.-d.", "doe"),
    ("Van Der Berg M.D.", "m.-d.", "van der berg"),
    ("Yi MA", "yi", "ma"),
    ("Xiao Yu MA", "xiao yu", "ma"),
    ("Conan O'Brien", "conan", "obrien"),
    ("St. Kowalski", "s.", "kowalski"),
    ("Lord, John", "john", "lord"),
    ("Gen Hoshino", "gen", "hoshino"),
    ("Hon Wai Lau", "hon wai", "lau"),
    ("Md Rahman", "md", "rahman"),
]


@pytest.mark.parametrize(("name", "given", "surname"), SPLITS, ids=[c[0] for c in SPLITS])
def test_name_split(name: str, given: str, surname: str) -> None:
    parsed = parse_name(name)
    assert (given_of(parsed), " ".join(parsed.surname)) == (given, surname)


# (followed author as typed, author string on a paper, expected strength or None for no match)
MATCHES = [
    # A title is never an initial: no probable match with another given name of that initial.
    ("Daniel Doe", "Dr. John Doe", None),
    ("Dr. John Doe", "Daniel Doe", None),
    ("Peter Doe", "Prof. John Doe", None),
    ("Prof. John Doe", "Peter Doe", None),
    ("Dr. Jane Roe", "Daniel Roe", None),
    ("S. Newton", "Sir Isaac Newton", None),
    ("M. Doe", "Mrs. Jane Doe", None),
    # ... and the name behind the title matches as it would without it.
    ("Prof. John Doe", "John Doe", STRONG),
    ("Prof. John Doe", "J. Doe", PROBABLE),
    ("John Doe", "Dr. John Doe", STRONG),
    ("J. Doe", "Dr. John Doe", PROBABLE),
    ("Isaac Newton", "Sir Isaac Newton", STRONG),
    ("John Kenneth Doe", "Rev John A. Kenneth Doe", STRONG),
    ("Hans Müller", "Prof. Dr.-Ing. Hans Müller", STRONG),
    ("Van Nguyen", "Mr. Van Nguyen", STRONG),
    ("Mr. Van Nguyen", "V. Nguyen", PROBABLE),
    # Degrees are not names.
    ("John Doe", "John Doe, Ph.D.", STRONG),
    ("John Smith", "John Smith, Ph. D.", STRONG),
    ("Joe Dentist", "Joe Dentist D.D.S.", STRONG),
    ("John Doe", "John Doe, CLU, CFP, LUTC", STRONG),
    ("Paul Nurse", "Paul Nurse FRS", STRONG),
    ("Jane Roe", "Roe, Jane, MD", STRONG),
    ("P. Smith", "John Smith, Ph. D.", None),
    # Suffixes are not names either.
    ("John Smith", "Smith Jr., John", STRONG),
    ("John Doe", "Doe, Jr., John", STRONG),
    ("Larry James Edward Johnson", "larry james edward johnson v", STRONG),
    ("Larry Johnson", "larry james edward johnson v", PROBABLE),
    # `St.` is part of the surname.
    ("Jill St. John", "Jill St John", STRONG),
    ("Jill St. John", "St. John, Jill", STRONG),
    ("Jill John", "Jill St. John", None),
    ("Sam John", "Jill St. John", None),
    # Nicknames are dropped: the real given name matches strongly.
    ("William Gates", "William 'Bill' Gates", STRONG),
    ("Robert Smith", "Robert (Bob) Smith", STRONG),
    # Forms kept as before: PubMed's `Smith J.F.` and capital surnames.
    ("John F. Smith", "Smith J.F.", PROBABLE),
    ("Maria Smith", "Smith M.D.", PROBABLE),
    ("Yi Ma", "Yi MA", STRONG),
]


@pytest.mark.parametrize(
    ("followed", "printed", "strength"), MATCHES, ids=[f"{f} ~ {p}" for f, p, _ in MATCHES]
)
def test_name_match(followed: str, printed: str, strength: MatchStrength | None) -> None:
    index: NameIndex[str] = NameIndex()
    index.add("followed", followed)
    expected = {"followed": strength} if strength else {}
    assert index.match(printed) == expected


def test_a_title_alone_with_a_surname_has_no_keys() -> None:
    """`Dr. Doe` names no given name: it matches nothing, not even the one-word `Doe`."""
    assert name_keys("Dr. Doe").empty
    index: NameIndex[str] = NameIndex()
    index.add("doe", "Doe")
    assert index.match("Dr. Doe") == {}


def test_arxiv_papers_match_through_degrees_and_not_through_titles() -> None:
    """The poll's path: Atom feed -> parsed papers -> followed-author name index and guard."""
    authors = [["Alice Example", "John Doe, Ph.D."], ["Daniel Roe", "Bob Example"]]
    feed = arxiv_feed(generate_arxiv_entries(2, authors_for=lambda i: authors[i]))
    papers = parse_arxiv_atom(feed).papers
    matcher = FollowedAuthorMatcher(
        [FollowedAuthor(1, "John Doe"), FollowedAuthor(2, "Dr. Jane Roe")]
    )
    candidates = matcher.candidates(papers)
    assert [(c.paper.arxiv_id, c.owner, c.strength, c.author_name) for c in candidates] == [
        (papers[0].arxiv_id, 1, STRONG, "John Doe, Ph.D.")
    ]
    outcome = matcher.decide(candidates)
    assert [(m.paper.arxiv_id, m.author_id) for m in outcome.accepted] == [(papers[0].arxiv_id, 1)]
