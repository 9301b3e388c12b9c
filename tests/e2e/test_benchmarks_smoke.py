"""Every benchmark still runs (a tiny `--smoke` size): figures are measured by hand, not here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.parametrize(
    "script",
    [
        "bench_sources.py",
        "bench_digest.py",
        "bench_interactions.py",
        "bench_works.py",
        "bench_citations.py",
        "bench_topics.py",
        "bench_suggestions.py",
    ],
)
def test_benchmark_smoke_run_succeeds(script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--smoke"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stderr
