"""The topic query language (`bot.topics`): terms, categories, precedence, every error with its
position, queries that would match everything, the canonical form, the terms that matched, and
`TopicIndex` against matching every query one by one."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from bot.topics import MAX_QUERY_CHARS, PaperText, QueryError, TopicIndex, TopicQuery, parse_query
from bot.topics.text import words


def paper(title: str = "", abstract: str = "", categories: tuple[str, ...] = ()) -> PaperText:
    return PaperText.of(title, abstract, categories)


def hits(query: str, text: str = "", categories: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    return parse_query(query).match(paper(text, "", categories))


def matches(query: str, text: str = "", categories: tuple[str, ...] = ()) -> bool:
    return hits(query, text, categories) is not None


def error(query: str | None) -> QueryError:
    with pytest.raises(QueryError) as raised:
        parse_query(query)
    return raised.value


# --- words and phrases -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("transformer", "A Vision Transformer for images", True),
        ("TRANSFORMER", "a vision transformer", True),
        ("transformer", "Vision Transformers at scale", False),  # no stemming
        ("transformers", "One transformer", False),
        ("former", "A transformer", False),  # word boundaries, not substrings
        ("Réseaux", "Les reseaux de neurones", True),
        ("reseaux", "Les Réseaux de neurones", True),
        ("RÉSEAUX", "les réseaux", True),
        ("naive", "A Naïve Bayes classifier", True),
        ("transformer", "vision-transformer models", True),  # a hyphen separates words
        ("learning", "self_learning", True),  # so does an underscore
        ('"vision transformer"', "A Vision Transformer", True),
        ('"vision transformer"', "A transformer for vision", False),  # words in order
        ('"vision transformer"', "vision and transformer", False),  # side by side
        ('"Vision  Transformer"', "vision, transformer.", True),  # punctuation separates
        ("gpt-4", "We evaluate GPT 4 on maths", True),  # the phrase of its parts
        ("gpt-4", "We evaluate GPT-4 on maths", True),
        ("gpt-4", "GPT-3 and 4 agents", False),
        ("gpt-4", "gpt4 results", False),
        ("gpt4", "We evaluate GPT-4", False),
        ("4", "We evaluate GPT-4", True),
    ],
)
def test_words_and_phrases_match_at_word_boundaries_folded(
    query: str, text: str, expected: bool
) -> None:
    assert matches(query, text) is expected


def test_plain_ascii_text_is_split_into_the_same_words_as_any_text() -> None:
    """`words` splits ASCII text without the regular expression (faster); the words are the
    ones the expression finds: letters and digits, anything else separates (`_` included)."""
    rng = random.Random(1206)
    alphabet = [chr(c) for c in range(128)] + list("abcXYZ019") * 8
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert words(text) == tuple(re.findall(r"[^\W_]+", text.lower())), repr(text)
    assert words("Réseaux_de-Neurones ÉTÉ") == ("reseaux", "de", "neurones", "ete")


def test_words_are_searched_in_the_title_and_the_abstract() -> None:
    query = parse_query('"graph neural" AND survey')
    assert query.match(paper("A graph neural network", "This survey is long")) is not None
    assert query.match(paper("A survey", "of graph neural networks")) is not None
    assert query.match(paper("A survey", "of graph networks")) is None


# --- categories ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "categories", "expected"),
    [
        ("cat:cs.CV", ("cs.CV",), True),
        ("cat:cs.CV", ("cs.LG", "cs.CV"), True),  # cross-listed
        ("cat:cs.CV", ("cs.LG", "eess.IV"), False),
        ("cat:cs.CV", (), False),
        ("cat:cs", ("cs.LG",), True),  # any category of the archive
        ("cat:cs", ("stat.ML", "cs.AI"), True),
        ("cat:cs", ("stat.ML", "eess.IV"), False),
        ("cat:hep-th", ("hep-th",), True),
        ("cat:hep-th", ("gr-qc", "hep-th"), True),
        ("cat:hep-th", ("hep-ph",), False),
        ("cat:math", ("math.CO",), True),
        ("cat:math", ("math-ph",), False),
        ("CAT:cs.CV", ("cs.CV",), True),
    ],
)
def test_categories_match_primary_cross_listed_or_archive(
    query: str, categories: tuple[str, ...], expected: bool
) -> None:
    assert matches(query, "anything", categories) is expected


def test_a_category_does_not_match_the_words() -> None:
    assert not matches("cat:cs.CV", "cs CV cat cs.CV")


@pytest.mark.parametrize(
    ("query", "position", "code"),
    [
        ("cat:cs.XX", 1, "cs.XX"),
        ("cat:cs.cv", 1, "cs.cv"),  # codes are case-sensitive
        ("cat:foo", 1, "foo"),
        ("vision AND cat:quant-bio", 12, "quant-bio"),
        ("(a OR cat:)", 7, "(nothing)"),
    ],
)
def test_unknown_category_codes_are_refused_with_the_position(
    query: str, position: int, code: str
) -> None:
    refused = error(query)
    assert refused.position == position
    assert code in refused.reason
    assert str(refused).startswith(f"at character {position}: ")


def test_a_quoted_cat_term_is_a_phrase() -> None:
    query = parse_query('"cat:cs"')
    assert query.canonical == '"cat cs"'
    assert query.categories == ()
    assert query.match(paper("the cat: CS fans")) == ("cat cs",)


# --- operators, precedence, parentheses ------------------------------------------------------


TEXTS = [
    " ".join(word for n, word in enumerate("abcd") if bits >> n & 1) or "none" for bits in range(16)
]


Predicate = Callable[[set[str]], bool]


def truth_table(query: str) -> list[bool]:
    parsed = parse_query(query)
    return [parsed.match(paper(text)) is not None for text in TEXTS]


def table_of(predicate: Predicate) -> list[bool]:
    return [predicate(set(text.split())) for text in TEXTS]


@pytest.mark.parametrize(
    ("query", "predicate"),
    [
        ("a OR b AND c", lambda w: "a" in w or ("b" in w and "c" in w)),
        ("a AND b OR c", lambda w: ("a" in w and "b" in w) or "c" in w),
        ("(a OR b) AND c", lambda w: ("a" in w or "b" in w) and "c" in w),
        ("a AND (b OR c)", lambda w: "a" in w and ("b" in w or "c" in w)),
        ("a AND NOT b OR c", lambda w: ("a" in w and "b" not in w) or "c" in w),
        ("a AND NOT (b OR c)", lambda w: "a" in w and "b" not in w and "c" not in w),
        ("NOT b AND a", lambda w: "b" not in w and "a" in w),
        ("a b OR c d", lambda w: ("a" in w and "b" in w) or ("c" in w and "d" in w)),
        ("a (b OR c) NOT d", lambda w: "a" in w and ("b" in w or "c" in w) and "d" not in w),
        ("((a))", lambda w: "a" in w),
        ("a OR b OR c", lambda w: bool({"a", "b", "c"} & w)),
    ],
)
def test_not_binds_tightest_then_and_then_or(query: str, predicate: Predicate) -> None:
    assert truth_table(query) == table_of(predicate)


def test_words_side_by_side_are_joined_by_and() -> None:
    assert truth_table("a b") == truth_table("a AND b") == table_of(lambda w: {"a", "b"} <= w)
    assert parse_query("a b").canonical == parse_query("a AND b").canonical


@pytest.mark.parametrize(
    ("spelling", "same_as"),
    [
        ("a and b", "a AND b"),
        ("a And b", "a AND b"),
        ("a or b", "a OR b"),
        ("a oR b", "a OR b"),
        ("a and not b", "a AND NOT b"),
        ("a Not b", "a AND NOT b"),
    ],
)
def test_operators_are_recognised_in_any_case(spelling: str, same_as: str) -> None:
    assert parse_query(spelling).canonical == parse_query(same_as).canonical
    assert truth_table(spelling) == truth_table(same_as)


def test_a_quoted_operator_is_a_word() -> None:
    query = parse_query('rock "and" roll')
    assert query.canonical == 'rock AND "and" AND roll'
    assert query.match(paper("rock and roll")) == ("rock", "and", "roll")
    assert query.match(paper("rock roll")) is None
    assert parse_query('"or"').match(paper("this or that")) == ("or",)
    assert parse_query('"NOT"').match(paper("not now")) == ("not",)
    assert parse_query('"not"').canonical == '"not"'


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "position", "says"),
    [
        ('"vision', 1, "quote"),
        ('a OR "vision transformer', 6, "quote"),
        ('"a" "b', 5, "quote"),
        ("(a OR b", 8, "( at character 1"),
        ("a AND (b OR (c d)", 18, "( at character 7"),
        ("(", 2, "after ("),
        ("a)", 2, ")"),
        ("(a) b)", 6, ")"),
        (") a", 1, ")"),
        ("AND x", 1, "AND"),
        ("OR x", 1, "OR"),
        ("a OR OR b", 6, "OR"),
        ("a AND OR b", 7, "OR"),
        ("a NOT AND b", 7, "AND"),
        ("()", 2, "empty parentheses"),
        ("a AND ( )", 9, "empty parentheses"),
        ('""', 1, "empty phrase"),
        ('a "  "', 3, "empty phrase"),
        ("---", 1, "no letters"),
        ("a OR ---", 6, "no letters"),
        ('"-- ..."', 1, "empty phrase"),
        ("a AND", 6, "after AND"),
        ("a OR", 5, "after OR"),
        ("a NOT", 6, "after NOT"),
        ("NOT", 4, "after NOT"),
        ("a and", 6, "after AND"),
        ("a OR (b AND", 12, "after AND"),
    ],
)
def test_every_syntax_error_names_its_position(query: str, position: int, says: str) -> None:
    refused = error(query)
    assert refused.position == position, refused
    assert says in refused.reason
    assert str(refused) == f"at character {position}: {refused.reason}"


def test_unclosed_parenthesis_message_names_the_opening_one() -> None:
    refused = error("vision AND (graph OR neural")
    assert refused.position == len("vision AND (graph OR neural") + 1
    assert refused.reason == "expected ) to close the ( at character 12"


@pytest.mark.parametrize("query", ["", "   ", "\t\n ", None])
def test_an_empty_query_is_refused_as_a_whole(query: str | None) -> None:
    refused = error(query)
    assert refused.position is None
    assert "empty" in refused.reason
    assert str(refused) == refused.reason


def test_at_most_300_characters() -> None:
    assert MAX_QUERY_CHARS == 300
    longest = " ".join(["ab"] * 100)[:299] + "x"
    assert len(longest) == 300
    assert parse_query(longest).written == longest
    assert parse_query(f"  {longest}  ").written == longest  # spaces around do not count

    refused = error(longest + "y")
    assert refused.position is None
    assert "301" in refused.reason and "300" in refused.reason


@pytest.mark.parametrize(
    "query",
    [
        "NOT survey",
        "not survey",
        "x OR NOT y",
        "NOT y OR x",
        "NOT (a AND b)",
        "NOT a AND NOT b",
        "NOT cat:cs.CV",
        "(a OR NOT b) AND (NOT a OR b)",
    ],
)
def test_a_query_that_needs_no_term_is_refused(query: str) -> None:
    refused = error(query)
    assert refused.position is None
    assert "every paper" in refused.reason


@pytest.mark.parametrize(
    "query",
    ["cat:cs.CV AND NOT survey", "vision NOT survey", "(a OR b) AND NOT c", "a AND (b OR NOT c)"],
)
def test_a_query_with_a_needed_term_and_a_not_is_accepted(query: str) -> None:
    assert isinstance(parse_query(query), TopicQuery)


def test_not_excludes() -> None:
    query = parse_query("cat:cs.CV AND NOT survey")
    assert query.match(paper("A new detector", "", ("cs.CV",))) == ("cat:cs.CV",)
    assert query.match(paper("A survey of detectors", "", ("cs.CV",))) is None
    assert query.match(paper("A new detector", "", ("cs.LG",))) is None


# --- canonical form and categories -----------------------------------------------------------


@pytest.mark.parametrize(
    "spellings",
    [
        [
            "vision transformer",
            "Vision AND Transformer",
            "  VISION   and transformer ",
            "(vision) transformer",
        ],
        ["réseaux", "RESEAUX", "Réseaux", "reseaux"],
        ['"Vision  Transformer"', '"vision transformer"', "vision-transformer"],
        ["gpt-4", '"GPT 4"', "GPT-4"],
        ["a OR b AND c", "a or (b and c)", "(a OR (b c))", "a OR b c"],
        ["cat:cs.CV AND NOT survey", "CAT:cs.CV not Survey", "cat:cs.CV AND NOT (survey)"],
        ['"and" OR x', '"AND" or x'],
    ],
)
def test_equivalent_spellings_have_one_canonical_form(spellings: list[str]) -> None:
    forms = {parse_query(text).canonical for text in spellings}
    assert len(forms) == 1, forms
    # The canonical form is itself a query, with the same canonical form.
    (form,) = forms
    assert parse_query(form).canonical == form


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("a OR b AND c", "(a OR b) AND c"),
        ("a AND b OR c", "a AND (b OR c)"),
        ("a AND NOT b OR c", "a AND NOT (b OR c)"),
        ('"vision transformer"', "vision transformer"),
        ("vision transformer", "transformer vision"),  # the order is kept
        ("cat:cs", "cat:cs.CV"),
        ('a "or" b', "a OR b"),
    ],
)
def test_different_queries_have_different_canonical_forms(one: str, other: str) -> None:
    assert parse_query(one).canonical != parse_query(other).canonical


def test_written_is_the_query_as_typed_stripped() -> None:
    assert parse_query("  Vision  and GPT-4 ").written == "Vision  and GPT-4"


def test_categories_are_those_named_outside_a_not_in_order_once() -> None:
    query = parse_query("cat:cs.CV AND NOT cat:cs.LG OR (cat:hep-th OR cat:cs.CV) AND x")
    assert query.categories == ("cs.CV", "hep-th")
    assert parse_query("x AND NOT (cat:cs OR cat:math)").categories == ()
    assert parse_query("cat:cs OR cat:math.CO").categories == ("cs", "math.CO")
    assert parse_query("vision").categories == ()


# --- the terms that matched ------------------------------------------------------------------


def test_match_gives_the_positive_terms_that_matched() -> None:
    assert hits("vision AND NOT survey", "vision models") == ("vision",)
    assert hits("vision AND NOT survey", "a vision survey") is None
    assert hits("vision OR graph", "vision and graph") == ("vision", "graph")
    assert hits("vision OR graph", "graph only") == ("graph",)
    assert hits("vision OR graph", "neither") is None
    assert hits('"Vision Transformer" OR ViT', "vision transformer") == ("vision transformer",)
    assert hits("GPT-4 cat:cs", "GPT-4 evals", ("cs.CL",)) == ("gpt 4", "cat:cs")
    assert hits("cat:cs.CV OR cat:cs", "x", ("cs.CV",)) == ("cat:cs.CV", "cat:cs")
    # Every term once, in the order of the query.
    assert hits("(a OR b) AND (b OR a)", "a b") == ("a", "b")
    # An AND that fails gives none of its terms to the OR around it.
    assert hits("(a AND b) OR c", "a c") == ("c",)
    # Terms under NOT are never matched terms, even when an OR holds them.
    assert hits("a AND NOT (b AND c)", "a b") == ("a",)


# --- TopicIndex ------------------------------------------------------------------------------


def brute_force(queries: dict[int, TopicQuery], one: PaperText) -> dict[int, tuple[str, ...]]:
    return {key: found for key, query in queries.items() if (found := query.match(one)) is not None}


def test_index_wakes_each_query_by_its_terms() -> None:
    queries = {
        1: parse_query('"vision transformer" OR cat:cs.CV AND NOT survey'),
        2: parse_query("cat:hep-th"),
        3: parse_query("cat:cs gpt-4"),
        4: parse_query("réseaux"),
    }
    index = TopicIndex(queries)
    assert len(index) == 4
    assert index.match_all(
        [
            paper("A Vision Transformer survey"),
            paper("A detector", "", ("cs.CV",)),
            paper("A detector survey", "", ("cs.CV",)),
            paper("Strings", "", ("gr-qc", "hep-th")),
            paper("On GPT-4", "", ("cs.CL",)),
            paper("On GPT-4", "", ("stat.ML",)),
            paper("Les Réseaux"),
        ]
    ) == [
        {1: ("vision transformer",)},
        {1: ("cat:cs.CV",)},
        {},
        {2: ("cat:hep-th",)},
        {3: ("cat:cs", "gpt 4")},
        {},
        {4: ("reseaux",)},
    ]
    assert TopicIndex({}).match_all([paper("anything")]) == [{}]
    assert index.match_all([]) == []


def test_index_gives_a_query_shared_by_follows_to_each_of_them() -> None:
    queries = {7: parse_query("Graph"), 8: parse_query("graph"), 9: parse_query("tree")}
    found = TopicIndex(queries).match_all([paper("graph and tree"), paper("a graph")])
    assert found == [{7: ("graph",), 8: ("graph",), 9: ("tree",)}, {7: ("graph",), 8: ("graph",)}]


def test_index_needs_the_words_of_a_long_phrase_in_a_row() -> None:
    """Every pair of "one two three" is in the second paper, but not the phrase."""
    index = TopicIndex({1: parse_query('"one two three" AND NOT four')})
    papers = [paper("one two three"), paper("two three and one two"), paper("one two three four")]
    assert index.match_all(papers) == [{1: ("one two three",)}, {}, {}]


def test_index_with_more_terms_than_it_numbers_combinations_of() -> None:
    """A query of 71 words (within the length limit): the terms that matched are still the
    query's own, worked out paper by paper."""
    many = [f"{a}{b}" for a in "pqrstuvwxyz" for b in "abcdefg"][:70]
    query = parse_query(f"solo OR ({' '.join(many)})")
    assert len(query.written) <= MAX_QUERY_CHARS
    papers = [paper(" ".join(many)), paper("solo"), paper(" ".join(many[1:])), paper("solo pa")]
    found = TopicIndex({1: query}).match_all(papers)
    assert found == [{1: tuple(many)}, {1: ("solo",)}, {}, {1: ("solo",)}]


@pytest.mark.parametrize(
    "query", ["NOT NOT vision", "NOT (NOT vision OR NOT graph)", "a OR NOT NOT b"]
)
def test_index_agrees_with_brute_force_on_double_negation(query: str) -> None:
    """Every query `parse_query` accepts can be indexed and the index finds what it matches
    (refusing these queries would do too: they are accepted today)."""
    try:
        parsed = parse_query(query)
    except QueryError:
        return
    queries = {1: parsed}
    index = TopicIndex(queries)
    papers = [paper("vision graph"), paper("vision"), paper("b"), paper("nothing")]
    assert index.match_all(papers) == [brute_force(queries, one) for one in papers]


WORDS = ["vision", "transformer", "graph", "neural", "survey", "quantum", "gpt", "4", "réseaux"]
FILLER = ["the", "of", "a", "model", "data", "reseaux", "Vision", "GPT-4", "quantum-graph"]
CATEGORIES = ["cs.CV", "cs.LG", "cs.CL", "hep-th", "math.CO", "stat.ML", "quant-ph", "gr-qc"]
QUERY_CATEGORIES = ["cs.CV", "cs.LG", "hep-th", "math.CO", "stat.ML", "cs", "math", "stat"]


def random_term(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.2:
        return "cat:" + rng.choice(QUERY_CATEGORIES)
    if roll < 0.35:
        return '"' + " ".join(rng.sample(WORDS, 2)) + '"'
    if roll < 0.4:
        return "gpt-4"
    word = rng.choice(WORDS)
    return word.upper() if rng.random() < 0.2 else word


def random_query(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth >= 3 or roll < 0.35:
        return random_term(rng)
    if roll < 0.5:
        return "NOT " + random_query(rng, depth + 1)
    if roll < 0.6:
        return "(" + random_query(rng, depth + 1) + ")"
    parts = [random_query(rng, depth + 1) for _ in range(rng.randint(2, 3))]
    joiner = rng.choice([" AND ", " OR ", " ", " and ", " or "])
    text = joiner.join(parts)
    return f"({text})" if rng.random() < 0.5 else text


def random_paper(rng: random.Random) -> PaperText:
    title = " ".join(rng.choice(WORDS + FILLER) for _ in range(rng.randint(0, 6)))
    abstract = " ".join(rng.choice(WORDS + FILLER) for _ in range(rng.randint(0, 10)))
    categories = rng.sample(CATEGORIES, rng.randint(0, 3))
    return PaperText.of(title, abstract, categories)


def test_index_gives_the_same_as_matching_every_query_one_by_one() -> None:
    rng = random.Random(20261206)
    queries: dict[int, TopicQuery] = {}
    tried = 0
    while len(queries) < 400:
        tried += 1
        try:
            queries[len(queries)] = parse_query(random_query(rng))
        except QueryError:
            continue
    assert tried < 2000  # most generated queries are accepted
    assert sum("NOT" in q.canonical for q in queries.values()) > 50
    assert sum("(" in q.canonical for q in queries.values()) > 50
    papers = [random_paper(rng) for _ in range(300)]

    # Every accepted query can be indexed (has a set of terms one of which a match needs).
    unindexable = []
    for query in queries.values():
        try:
            query.trigger()
        except AssertionError:
            unindexable.append(query.canonical)
    assert unindexable == []

    expected = [brute_force(queries, one) for one in papers]
    assert TopicIndex(queries).match_all(papers) == expected
    assert sum(map(len, expected)) > 1000  # the papers match many queries: not an empty test
