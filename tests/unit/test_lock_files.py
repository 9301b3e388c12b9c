"""The lock files (requirements/*.txt, made by `make lock`) are what is installed: every pinned
package that applies here is installed at its pinned version, `pyproject.toml` keeps ranges, and
the runtime lock ships the versions the tests ran with."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;]+)\s*(?:;\s*(?P<marker>.+))?$")


def pins(name: str) -> dict[str, str]:
    """The lock's pins that apply to this interpreter, by canonical package name."""
    found: dict[str, str] = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        matched = PIN.match(line.strip())
        if matched is None:
            assert not line.strip() or line.lstrip().startswith("#"), f"not a pin: {line!r}"
            continue
        marker = matched["marker"]
        if marker is None or Marker(marker).evaluate():
            found[canonicalize_name(matched["name"])] = matched["version"]
    return found


def project() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_every_locked_package_is_installed_at_its_locked_version() -> None:
    locked = pins("dev.txt")
    assert len(locked) > 40
    different = {}
    for name, version in locked.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != version:
            different[name] = f"locked {version}, installed {installed}"
    assert different == {}, "run `make test` (it installs requirements/dev.txt)"


def test_the_runtime_lock_ships_the_tested_versions() -> None:
    runtime, dev = pins("runtime.txt"), pins("dev.txt")
    assert {name: dev.get(name) for name in runtime} == runtime
    assert "pytest" not in runtime and "uv" not in runtime  # tools stay out of the image


def test_the_project_keeps_ranges_and_the_locks_satisfy_them() -> None:
    runtime, dev = pins("runtime.txt"), pins("dev.txt")
    declared = [Requirement(r) for r in project()["dependencies"]]
    by_name = {canonicalize_name(r.name): r for r in declared}
    assert str(by_name["discord-py"].specifier) in ("<2.8,>=2.7", ">=2.7,<2.8")
    for requirement in declared:
        name = canonicalize_name(requirement.name)
        assert requirement.specifier.contains(runtime[name]), (name, runtime[name])
    # The tests need one exact discord.py (tests/harness uses a few internals): pinned for
    # the dev install only, and the runtime lock holds the same.
    dev_extra = [Requirement(r) for r in project()["optional-dependencies"]["dev"]]
    harness = next(r for r in dev_extra if canonicalize_name(r.name) == "discord-py")
    assert str(harness.specifier).startswith("==")
    assert harness.specifier.contains(dev["discord-py"])
    assert runtime["discord-py"] == dev["discord-py"]
