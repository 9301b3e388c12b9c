"""What a user typed (or picked) for an author: a name, an OpenAlex id, an ORCID or a local id.

Autocomplete values are `openalex:A5048491430` and `author:<local id>` (the follow service uses
the same prefixes, so one choice list serves both commands). A bare `A5048491430`, an OpenAlex
URL and an ORCID (bare or as a URL) are understood too. Anything else is a name, checked the
way docs/product.md#bad-input says: not empty, not absurdly long, no mentions, no markdown.
This is the one validator of typed author text: `/follow author`, `/unfollow author` and the
`/author` commands all use it (through `FollowService.check_name` or `ProfileService.check_query`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from bot.errors import BadInput

MAX_NAME_LENGTH = 200
OPENALEX_PREFIX = "openalex:"
LOCAL_PREFIX = "author:"

Kind = Literal["name", "openalex", "orcid", "local"]

_OPENALEX_RE = re.compile(r"^(?:https?://(?:api\.)?openalex\.org/(?:authors/)?)?(A\d{4,})$", re.I)
_ORCID_RE = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$", re.I)
_LOCAL_RE = re.compile(r"^\d{1,18}$")
_MENTION_RE = re.compile(r"@(everyone|here)\b|<@[!&]?\d+>|<#\d+>|@", re.IGNORECASE)
# Characters Discord renders as markdown: an author's name never needs them.
_MARKDOWN_RE = re.compile(r"[*_`~|<>\[\]#\\]")


@dataclass(frozen=True, slots=True)
class AuthorQuery:
    """A checked query: `kind` and `value` (the bare id, or the name with spaces collapsed)."""

    kind: Kind
    value: str

    @property
    def cache_key(self) -> str:
        """A key under which the resolved author may be remembered."""
        return f"{self.kind}:{self.value.casefold()}"


def parse_author_query(text: str | None) -> AuthorQuery:
    """The query, or `BadInput` saying what is wrong and how to fix it (nothing is looked up)."""
    stripped = " ".join((text or "").split())
    if not stripped:
        raise BadInput(
            "The author name is empty. Type a name (e.g. `Heather Piwowar`) and pick the "
            "author from the list."
        )
    if len(stripped) > MAX_NAME_LENGTH:
        raise BadInput(
            f"That name is {len(stripped):,} characters long; an author name has at most "
            f"{MAX_NAME_LENGTH}. Type just the author's name."
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in (text or "").strip()):
        raise BadInput(
            "The name contains control characters (a line break, a tab or an invisible "
            "character). Type the author's name on one line."
        )
    lowered = stripped.lower()
    if lowered.startswith(OPENALEX_PREFIX):
        match = _OPENALEX_RE.match(stripped[len(OPENALEX_PREFIX) :].strip())
        if match is None:
            raise BadInput(
                "That is not an OpenAlex author id. Pick the author from the list, or type "
                "their name (an id looks like `A5048491430`)."
            )
        return AuthorQuery("openalex", match.group(1).upper())
    if lowered.startswith(LOCAL_PREFIX):
        raw = stripped[len(LOCAL_PREFIX) :].strip()
        if not _LOCAL_RE.match(raw):
            raise BadInput("That author reference is not valid. Pick the author from the list.")
        return AuthorQuery("local", raw)
    match = _OPENALEX_RE.match(stripped)
    if match is not None:
        return AuthorQuery("openalex", match.group(1).upper())
    match = _ORCID_RE.match(stripped)
    if match is not None:
        return AuthorQuery("orcid", match.group(1).upper())
    if _MENTION_RE.search(stripped):
        raise BadInput(
            "Author names cannot contain mentions (`@everyone`, `@here`, `@user`, `#channel`). "
            "Type the author's name only."
        )
    if _MARKDOWN_RE.search(stripped):
        raise BadInput(
            "Author names cannot contain formatting characters (`*`, `_`, `` ` ``, `~`, `|`, "
            "`<`, `>`, `#`, brackets). Type the plain name, e.g. `Heather Piwowar`."
        )
    if not any(ch.isalpha() for ch in stripped):
        raise BadInput("An author name needs letters. Type a name, e.g. `Heather Piwowar`.")
    return AuthorQuery("name", stripped)
