"""Small facts about database URLs: which backend, a loggable form, the SQLite file."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import URL, make_url

log = logging.getLogger(__name__)


def backend_of(url: str | URL) -> str:
    """'sqlite' or 'postgresql'; ValueError for anything else."""
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database backend {name!r}: use sqlite or postgresql")
    return name


def redacted(url: str | URL) -> str:
    """The URL with its password masked, safe to log.

    An unencoded '@' in the password makes SQLAlchemy end the password at the first '@' and
    take the rest for the host (`user:p@ss@host` -> password `p`, host `ss@host`): the host
    is cut to what follows the last '@', so no part of the password is shown.
    """
    parsed = make_url(url)
    if parsed.host is not None and "@" in parsed.host:
        parsed = parsed.set(host=parsed.host.rpartition("@")[2])
    return parsed.render_as_string(hide_password=True)


def password_texts(url: str) -> set[str]:
    """The password of `url` as written and as decoded (`p%40ss`, `p@ss`), for a log scrubber.

    As written it runs from the user name's ':' to the last '@' before the host, so a password
    with an unencoded '@' is taken whole. Empty when the URL has no password.
    """
    _scheme, _, rest = url.partition("://")
    if rest.startswith("/"):  # no host part (a SQLite path): no password
        return set()
    user_info, at, _host = rest.split("?", 1)[0].rpartition("@")
    _user, colon, written = user_info.partition(":")
    if not (at and colon and written):
        return set()
    return {written, unquote(written)}


def sqlite_in_memory(url: str | URL) -> bool:
    """True for an in-memory SQLite database (`sqlite://`, `:memory:`, `mode=memory`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    in_memory_names = database in ("", ":memory:") or database.startswith("file::memory:")
    return in_memory_names or parsed.query.get("mode") == "memory"


def sqlite_file(url: str | URL) -> Path | None:
    """The SQLite database file of `url`; None for PostgreSQL and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def ensure_sqlite_parent(url: str | URL) -> None:
    """Create the folder of a SQLite file URL when it is missing (e.g. `data/`)."""
    path = sqlite_file(url)
    if path is not None and not path.parent.exists():
        log.info("creating folder %s for the SQLite database", path.parent)
        path.parent.mkdir(parents=True, exist_ok=True)
