"""The PubMed and Crossref settings: defaults, the NCBI key kept secret, `.env.example`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("NCBI_API_KEY", "PUBMED_API_URL", "CROSSREF_API_URL"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_point_at_ncbi_and_crossref_without_a_key() -> None:
    settings = Settings(_env_file=None)
    assert settings.pubmed_api_url == "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    assert settings.crossref_api_url == "https://api.crossref.org"
    assert settings.ncbi_api_key is None


def test_the_ncbi_key_is_a_secret_scrubbed_from_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NCBI_API_KEY", "ncbi-key-0123456789")
    settings = Settings(_env_file=None)
    assert settings.ncbi_api_key is not None
    assert settings.ncbi_api_key.get_secret_value() == "ncbi-key-0123456789"
    assert "ncbi-key-0123456789" not in repr(settings) + str(settings)
    assert "ncbi-key-0123456789" in settings.secret_values()  # what the log scrubber removes


def test_env_example_explains_each_new_setting() -> None:
    example = (ROOT / ".env.example").read_text()
    for line in ("# NCBI_API_KEY=", "# PUBMED_API_URL=", "# CROSSREF_API_URL="):
        assert line in example
