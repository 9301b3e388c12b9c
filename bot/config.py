"""Settings from the environment and `.env`, validated once at start-up.

A missing or malformed setting becomes a `ConfigError` whose message is one line naming the
setting; the CLI prints it and exits with status 2. Secrets are `SecretStr`, so they never show
in `repr`, logs or error messages.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/paperscout.db"
DEFAULT_CONTACT_EMAIL = "paperscout-operator@example.invalid"  # `paperscout doctor` flags it


MISSING_TOKEN = (
    "DISCORD_TOKEN is not set: put the bot token in the environment or in .env (see .env.example)"
)


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


def _parse_shard_ids(value: Any) -> Any:
    """`SHARD_IDS` is written `0,1,2` or `0-3` (or a mix) in the environment."""
    if value is None or value == "" or isinstance(value, list):
        return value or None
    ids: list[int] = []
    for part in str(value).split(","):
        part = part.strip()
        if "-" in part:
            low, high = part.split("-", 1)
            ids.extend(range(int(low), int(high) + 1))
        elif part:
            ids.append(int(part))
    return ids


class Settings(BaseSettings):
    """Every setting the bot reads. Names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Optional here so `paperscout db upgrade` works without one; `run` and `sync` require it.
    discord_token: SecretStr | None = None
    database_url: str = Field(default=DEFAULT_DATABASE_URL, repr=False)  # may hold a password
    dev_guild_id: int | None = None

    openalex_api_key: SecretStr | None = None
    semantic_scholar_api_key: SecretStr | None = None
    ncbi_api_key: SecretStr | None = None
    contact_email: str = DEFAULT_CONTACT_EMAIL

    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_rss_url: str = "https://rss.arxiv.org/rss"
    openalex_api_url: str = "https://api.openalex.org"
    semantic_scholar_api_url: str = "https://api.semanticscholar.org/graph/v1"
    pubmed_api_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    crossref_api_url: str = "https://api.crossref.org"

    poll_interval_minutes: int = Field(default=60, ge=1, le=24 * 60)
    arxiv_min_interval_seconds: float = Field(default=3.0, ge=0.0)
    http_timeout_seconds: float = Field(default=30.0, gt=0.0)
    # Citation follows watch each author's this many most cited papers (100 per request a day).
    citation_papers_per_author: int = Field(default=100, ge=1, le=10_000)
    log_level: str = "INFO"

    # Self-hosting (docs/operations.md#health-metrics-and-backups): the file this process's
    # scheduler stamps at every tick (`paperscout health` reads it), and an optional port for
    # Prometheus metrics (unset: off).
    heartbeat_file: str = "data/heartbeat"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # A server that removed the bot keeps its channel follows, schedules and queued messages
    # this many days (in case it comes back), then they are deleted (docs/product.md#your-data).
    server_data_grace_days: int = Field(default=30, ge=0, le=3650)

    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: Annotated[list[int] | None, NoDecode] = None

    # Where discord.py sends REST and gateway traffic. Only for a rate-limit proxy (nirn-proxy)
    # or the test suite's fake Discord; leave unset to talk to Discord itself.
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: Any) -> Any:
        return _parse_shard_ids(value)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("discord_token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("is empty")
        return value

    @field_validator("database_url")
    @classmethod
    def _usable_database(cls, value: str) -> str:
        # Imported here: bot.sources imports this module and must not load the database stack.
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        from db.urls import sqlite_in_memory

        # The messages never repeat the URL: it may hold a password.
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        try:
            url = make_url(value)  # a port that is not a number fails here
        except (ValueError, ArgumentError):
            raise ValueError(
                "cannot be read as a URL: use sqlite+aiosqlite:///path/to/file.db or "
                "postgresql+asyncpg://user:password@host:5432/database (the port a number)"
            ) from None
        if url.host is not None and "@" in url.host:
            raise ValueError(
                "has an '@' in its user name or password: write it as %40 there (SQLAlchemy "
                "would end the password at that '@' and take the rest for the host)"
            )
        if sqlite_in_memory(url):
            raise ValueError(
                "is an in-memory SQLite database, empty at every start and gone at exit: "
                "name a file, e.g. sqlite+aiosqlite:///data/paperscout.db"
            )
        return value

    @model_validator(mode="after")
    def _shards_consistent(self) -> Settings:
        if self.shard_ids and self.shard_count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT")
        if self.shard_ids and self.shard_count is not None:
            bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if bad:
                raise ValueError(f"SHARD_IDS {bad} are outside 0..{self.shard_count - 1}")
        return self

    def secret_values(self) -> list[str]:
        """Every secret these settings hold, for the log scrubber: the value of each `SecretStr`
        setting, and the database password as written in DATABASE_URL and decoded."""
        from db.urls import password_texts  # not at the top: see `_usable_database`

        values = [
            value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr)
        ]
        return values + sorted(password_texts(self.database_url))

    def token(self) -> str:
        """The bot token; `ConfigError` when it is not set."""
        if self.discord_token is None:
            raise ConfigError(MISSING_TOKEN)
        return self.discord_token.get_secret_value()

    @property
    def database_backend(self) -> str:
        return "postgresql" if self.database_url.startswith("postgresql") else "sqlite"


def _describe(error: ValidationError) -> str:
    """One line naming the first bad setting, without echoing its value (it may be a secret)."""
    first = error.errors()[0]
    name = "_".join(str(p) for p in first.get("loc", ())).upper()
    if first.get("type") == "missing":
        return f"{name} is not set: put it in the environment or in .env (see .env.example)"
    message = first.get("msg", "is invalid").removeprefix("Value error, ")
    if not name:
        return f"invalid settings: {message}"
    return f"{name} is invalid: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and `.env`; raise `ConfigError` with one line."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
