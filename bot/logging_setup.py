"""Logging, configured once by the CLI, with secrets scrubbed from every record."""

from __future__ import annotations

import logging
from collections.abc import Iterable

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Replace any known secret value by `***` in the whole formatted record, traceback
    included (defence in depth: secrets are `SecretStr` and never logged on purpose)."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        # Longest first: a secret that contains another one is replaced whole, not in part.
        kept = {s for s in secrets if s and len(s) >= 6}
        self._secrets = sorted(kept, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`; discord.py's chatty gateway logger is kept at WARNING."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(FORMAT, secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("discord.gateway").setLevel(max(logging.WARNING, root.level))
    for chatty in ("apscheduler", "alembic"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
