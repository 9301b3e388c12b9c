"""The import direction of docs/architecture.md#import-direction, checked in fresh interpreters.

Importing every module of a layer must not load what that layer may not use: services never
load discord; sources load neither the database nor discord; db loads nothing of bot or cogs.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def modules(package: str) -> list[str]:
    path = ROOT.joinpath(*package.split("."))
    return [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(path)])]


def loaded_after_import(names: list[str]) -> set[str]:
    """Top-level packages loaded by importing `names` in a fresh interpreter."""
    code = (
        f"import importlib, sys\nfor name in {names!r}:\n    importlib.import_module(name)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        (modules("bot.services"), {"discord", "cogs"}),
        (modules("bot.sources"), {"discord", "cogs", "db", "sqlalchemy"}),
        (modules("db") + modules("db.repositories"), {"discord", "bot", "cogs"}),
    ],
    ids=["services", "sources", "db"],
)
def test_a_layer_never_loads_what_it_may_not_use(layer: list[str], forbidden: set[str]) -> None:
    assert loaded_after_import(layer) & forbidden == set()
