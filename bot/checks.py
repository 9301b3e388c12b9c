"""A line-per-check report for the operator's commands (`paperscout health`, `paperscout doctor`):
what was checked, ok or the problem, and for a problem how to fix it. Exit status 0 when every
check is ok, 1 otherwise (a supervisor or a script reads the status; a person reads the lines)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class Check:
    name: str  # what was checked: "database", "token", "#general permissions"
    ok: bool
    detail: str  # what was found
    fix: str = ""  # for a problem: what to do about it

    @classmethod
    def passed(cls, name: str, detail: str) -> Check:
        return cls(name, True, detail)

    @classmethod
    def failed(cls, name: str, detail: str, fix: str) -> Check:
        return cls(name, False, detail, fix)


def report(checks: Iterable[Check], out: TextIO) -> int:
    """Print one line per check (and its fix under a problem); 0 when all are ok, else 1."""
    problems = 0
    for check in checks:
        mark = "ok     " if check.ok else "PROBLEM"
        print(f"{mark} {check.name}: {check.detail}", file=out)
        if not check.ok:
            problems += 1
            if check.fix:
                print(f"        fix: {check.fix}", file=out)
    return 0 if problems == 0 else 1
