"""Settings: one clear line for a missing or bad value, and secrets never shown."""

from __future__ import annotations

import logging
import sys
import typing
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.cli import _prepare
from bot.config import ConfigError, Settings, load_settings
from bot.logging_setup import RedactingFormatter


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No developer .env or environment variable leaks into these tests."""
    monkeypatch.chdir(tmp_path)
    for name in list(Settings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)


def test_defaults_need_only_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "abc.def.ghi")
    settings = load_settings()
    assert settings.token() == "abc.def.ghi"
    assert settings.database_url == "sqlite+aiosqlite:///data/paperscout.db"
    assert settings.database_backend == "sqlite"
    assert settings.poll_interval_minutes == 60
    assert settings.arxiv_min_interval_seconds == 3.0


def test_missing_token_is_one_line_naming_it() -> None:
    settings = load_settings()
    with pytest.raises(ConfigError) as caught:
        settings.token()
    message = str(caught.value)
    assert "DISCORD_TOKEN" in message and "\n" not in message


def test_dotenv_file_is_read(tmp_path) -> None:
    (tmp_path / ".env").write_text("DISCORD_TOKEN=from-dotenv\nPOLL_INTERVAL_MINUTES=15\n")
    settings = load_settings()
    assert settings.token() == "from-dotenv"
    assert settings.poll_interval_minutes == 15


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("POLL_INTERVAL_MINUTES", "often"),
        ("POLL_INTERVAL_MINUTES", "0"),
        ("DEV_GUILD_ID", "my-server"),
        ("LOG_LEVEL", "LOUD"),
        ("DATABASE_URL", "mysql://localhost/db"),
        ("DATABASE_URL", "postgresql+asyncpg://bot:pw@db:fivefourthreetwo/paperscout"),
        ("DATABASE_URL", "sqlite+aiosqlite://"),
        ("DATABASE_URL", "sqlite+aiosqlite:///:memory:"),
        ("DATABASE_URL", "sqlite+aiosqlite:///file:scratch?mode=memory&uri=true"),
        ("SHARD_COUNT", "-1"),
    ],
)
def test_malformed_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(name) and "\n" not in message


def test_shard_ids_ranges_and_consistency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_COUNT", "8")
    monkeypatch.setenv("SHARD_IDS", "0-2,5")
    assert load_settings().shard_ids == [0, 1, 2, 5]
    monkeypatch.setenv("SHARD_IDS", "7-8")
    with pytest.raises(ConfigError, match="outside"):
        load_settings()
    monkeypatch.delenv("SHARD_COUNT")
    monkeypatch.setenv("SHARD_IDS", "1")
    with pytest.raises(ConfigError, match="SHARD_COUNT"):
        load_settings()


def test_secrets_stay_out_of_repr_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    token, key = "super-secret-token-123", "openalex-key-456"
    pg = "postgresql+asyncpg://bot:hunter2secret@db:5432/paperscout"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    monkeypatch.setenv("OPENALEX_API_KEY", key)
    monkeypatch.setenv("DATABASE_URL", pg)
    settings = load_settings()
    shown = repr(settings) + str(settings)
    for secret in (token, key, "hunter2secret"):
        assert secret not in shown
    monkeypatch.setenv("POLL_INTERVAL_MINUTES", "x")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    for secret in (token, key, "hunter2secret"):
        assert secret not in str(caught.value)


def test_log_formatter_scrubs_secrets_from_message_and_traceback() -> None:
    formatter = RedactingFormatter("%(message)s", ["tok-en-secret"])
    try:
        raise RuntimeError("request to https://x/?api_key=tok-en-secret failed")
    except RuntimeError:
        record = logging.LogRecord(
            "t",
            logging.ERROR,
            __file__,
            1,
            "url was %s",
            ("/?api_key=tok-en-secret",),
            exc_info=sys.exc_info(),
        )
    text = formatter.format(record)
    assert "tok-en-secret" not in text
    assert "url was /?api_key=***" in text and "RuntimeError: request to" in text


def test_a_secret_inside_a_longer_one_does_not_leave_the_rest_behind() -> None:
    formatter = RedactingFormatter("%(message)s", ["hunter2", "hunter2-and-more"])
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "key hunter2-and-more", (), None)
    assert formatter.format(record) == "key ***"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def secret_setting_names() -> list[str]:
    """The settings declared as `SecretStr`, found from the annotations."""
    return [
        name
        for name, field in Settings.model_fields.items()
        if field.annotation is SecretStr or SecretStr in typing.get_args(field.annotation)
    ]


def test_every_secret_setting_and_the_database_password_are_scrubbed_from_logs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    secrets = {name: f"{name}-value-1234" for name in secret_setting_names()}
    assert {"discord_token", "openalex_api_key", "semantic_scholar_api_key"} <= set(secrets)
    for name, value in secrets.items():
        monkeypatch.setenv(name.upper(), value)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bot:s3cret%40pass@db/paperscout")
    _prepare(load_settings())  # what every `paperscout` command does first

    leaks = [*secrets.values(), "s3cret@pass", "s3cret%40pass"]
    logging.getLogger("paperscout.test").error("driver said: %s", " | ".join(leaks))

    logged = capsys.readouterr().err
    assert "driver said: ***" in logged
    for value in leaks:
        assert value not in logged


def test_a_password_with_an_unencoded_at_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bot:hunter@2@SECRET@db:5432/x")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("DATABASE_URL is invalid: has an '@'") and "%40" in message
    for part in ("hunter", "2@SECRET", "SECRET"):
        assert part not in message
