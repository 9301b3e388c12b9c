"""Running the real `paperscout` command as a subprocess, as an operator would."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.config import Settings
from tests.harness.fake_upstream import FakeUpstream

REPO = Path(__file__).resolve().parents[2]


def cli_env(upstream: FakeUpstream | None = None, **settings: str) -> dict[str, str]:
    """This process's environment without any PaperScout setting (the developer's shell must
    not leak in), the sources on `upstream` when given (PubMed and Crossref not configured:
    a test that wants one routes it and passes its URL), and `settings` (upper-cased)."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env["PYTHONPATH"] = str(REPO)
    env["CONTACT_EMAIL"] = "ops@paperscout.example"
    if upstream is not None:
        env.update(
            ARXIV_API_URL=upstream.arxiv_api_url,
            ARXIV_RSS_URL=upstream.arxiv_rss_url,
            OPENALEX_API_URL=upstream.openalex_url,
            SEMANTIC_SCHOLAR_API_URL=upstream.semantic_scholar_url,
            PUBMED_API_URL="",
            CROSSREF_API_URL="",
        )
    env.update({name.upper(): value for name, value in settings.items()})
    return env


async def start_cli(*args: str, cwd: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """`python -m bot.cli ARGS` with stdout and stderr piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_cli(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of one `paperscout ARGS` run (a minute at most)."""
    process = await start_cli(*args, cwd=cwd, env=env)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
