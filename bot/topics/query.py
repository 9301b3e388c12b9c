"""The topic query language: words, "quoted phrases", `cat:` terms, AND, OR, NOT, parentheses.

    "vision transformer" OR cat:cs.CV AND NOT survey

- A word or a phrase matches the paper's title or abstract at word boundaries, case- and
  accent-insensitively (`bot.topics.text`); a hyphenated word (`GPT-4`) is the phrase of its
  parts. No stemming.
- `cat:cs.CV` matches a paper in that arXiv category (primary or cross-list); `cat:cs` one in
  any category of the archive. Unknown codes are refused.
- NOT binds tightest, then AND, then OR; words side by side are joined by AND. The operators
  are recognised in any case; quote them (`"and"`) to search the word.

`parse_query` validates everything before anything is stored: a syntax error names the
position (1-based, in characters) and what was expected; an empty query, one over
`MAX_QUERY_CHARS`, and one that would match a paper with no words at all (only NOT terms,
`x OR NOT y`) are refused with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.arxiv_categories import ARCHIVE_NAMES, CATEGORY_NAMES
from bot.topics.nodes import OPERATORS, All, Any_, Category, Node, Not, Phrase
from bot.topics.text import PaperText, words

MAX_QUERY_CHARS = 300

_TOKEN_RE = re.compile(r'\s*(?:(?P<open>\()|(?P<close>\))|(?P<quote>")|(?P<bare>[^\s()"]+))')


class QueryError(ValueError):
    """A query that cannot be used; `position` is 1-based (None: the query as a whole)."""

    def __init__(self, reason: str, position: int | None = None) -> None:
        self.reason = reason
        self.position = position
        where = f"at character {position}: " if position is not None else ""
        super().__init__(f"{where}{reason}")


# --- the query -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicQuery:
    """A parsed, validated topic query."""

    root: Node
    written: str  # as the member typed it (stripped)

    @property
    def canonical(self) -> str:
        """One spelling per query (folded words, upper-case operators): its identity."""
        return self.root.text()

    @property
    def categories(self) -> tuple[str, ...]:
        """The arXiv categories and archives it names (their listing feeds are read)."""
        found: list[str] = []
        _collect_categories(self.root, found)
        return tuple(dict.fromkeys(found))

    def match(self, paper: PaperText) -> tuple[str, ...] | None:
        """The terms that matched (words, phrases, `cat:` codes), or None when it does not."""
        hits: list[str] = []
        if not self.root.matches(paper, hits):
            return None
        return tuple(dict.fromkeys(hits))

    def trigger(self) -> frozenset[str]:
        found = self.root.trigger()
        assert found is not None, "a query that needs no term was refused by parse_query"
        return found


def _collect_categories(node: Node, found: list[str]) -> None:
    if isinstance(node, Category):
        found.append(node.code)
    elif isinstance(node, Not):
        return  # a category it excludes is not one to read
    elif isinstance(node, All | Any_):
        for child in node.children:
            _collect_categories(child, found)


def parse_query(text: str | None) -> TopicQuery:
    """The query `text` stands for, or `QueryError` saying what is wrong and where."""
    written = (text or "").strip()
    if not written:
        raise QueryError("the query is empty: type at least one word, “a phrase” or cat:cs.CV")
    if len(written) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is {len(written)} characters long; at most {MAX_QUERY_CHARS} are allowed"
        )
    parser = _Parser(_lex(written))
    root = parser.parse()
    query = TopicQuery(root, written)
    if query.match(PaperText((), frozenset())) is not None or root.trigger() is None:
        raise QueryError(
            "this query would match almost every paper (it needs no word or category to "
            "match): add a word, a phrase or a category it must contain"
        )
    return query


# --- lexing and parsing ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # open, close, and, or, not, term, end
    position: int  # 1-based
    value: str = ""
    quoted: bool = False


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    at = 0
    while at < len(text):
        match = _TOKEN_RE.match(text, at)
        if match is None:  # only trailing spaces remain
            break
        kind = match.lastgroup
        start = match.start(kind) if kind else match.end()
        if kind is None:
            break
        position = start + 1
        if kind == "open":
            tokens.append(_Token("open", position))
            at = match.end()
        elif kind == "close":
            tokens.append(_Token("close", position))
            at = match.end()
        elif kind == "quote":
            end = text.find('"', start + 1)
            if end < 0:
                raise QueryError('this quote is never closed: add the closing "', position)
            tokens.append(_Token("term", position, text[start + 1 : end], quoted=True))
            at = end + 1
        else:
            value = match.group("bare")
            upper = value.upper()
            kind = upper.lower() if upper in OPERATORS else "term"
            tokens.append(_Token(kind, position, value))
            at = match.end()
    tokens.append(_Token("end", len(text) + 1))
    return tokens


_EXPECTED_TERM = "expected a word, a “phrase”, cat:… or ("


class _Parser:
    """Recursive descent over the tokens: or := and (OR and)*; and := unary (AND? unary)*;
    unary := NOT unary | ( or ) | term."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.at = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.at]

    def parse(self) -> Node:
        node = self._or()
        if self.current.kind == "close":
            raise QueryError("this ) has no ( before it", self.current.position)
        if self.current.kind != "end":  # cannot happen: every other token continues an AND
            raise QueryError("expected the end of the query", self.current.position)
        return node

    def _or(self) -> Node:
        children = [self._and()]
        while self.current.kind == "or":
            self.at += 1
            children.append(self._and())
        return children[0] if len(children) == 1 else Any_(tuple(children))

    def _and(self) -> Node:
        children = [self._unary()]
        while self.current.kind in ("and", "not", "open", "term"):
            if self.current.kind == "and":
                self.at += 1
            children.append(self._unary())
        return children[0] if len(children) == 1 else All(tuple(children))

    def _unary(self) -> Node:
        token = self.current
        if token.kind == "not":
            self.at += 1
            return Not(self._unary())
        if token.kind == "open":
            self.at += 1
            if self.current.kind == "close":
                raise QueryError("empty parentheses: " + _EXPECTED_TERM, self.current.position)
            node = self._or()
            if self.current.kind != "close":
                raise QueryError(
                    f"expected ) to close the ( at character {token.position}",
                    self.current.position,
                )
            self.at += 1
            return node
        if token.kind == "term":
            self.at += 1
            return _term(token)
        if token.kind == "end":
            after = self.tokens[self.at - 1] if self.at else None
            operator = after is not None and after.kind in ("and", "or", "not", "open")
            what = f" after {after.value.upper() or '('}" if operator and after else ""
            raise QueryError(f"the query ends too early{what}: {_EXPECTED_TERM}", token.position)
        label = {"and": "AND", "or": "OR", "close": ")"}[token.kind]
        raise QueryError(f"{_EXPECTED_TERM}, not {label}", token.position)


def _term(token: _Token) -> Node:
    value = token.value
    if not token.quoted and value.lower().startswith("cat:"):
        code = value[4:]
        if code in CATEGORY_NAMES and "." in code:
            return Category(code, archive=False)
        if code in ARCHIVE_NAMES or code in CATEGORY_NAMES:
            return Category(code, archive="." not in code)
        raise QueryError(
            f"“{code or '(nothing)'}” is not an arXiv category or archive (like cs.CV or cs)",
            token.position,
        )
    found = words(value)
    if not found:
        what = "an empty phrase" if token.quoted else f"“{value}” has no letters or digits"
        raise QueryError(f"{what}: {_EXPECTED_TERM}", token.position)
    return Phrase(found, value)


__all__ = ["MAX_QUERY_CHARS", "QueryError", "TopicQuery", "parse_query"]
