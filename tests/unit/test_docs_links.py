"""Every reference to documentation points inside the repository, at something that exists.

A clone of the project has no sibling folder of shared notes, so no tracked `*.py` or `*.md`
file may name one. Every `.md` file a tracked file names (a path such as docs/<name>.md, a bare
<name>.md, or a relative markdown link) must be a file of the repository, and an `#anchor` after
it must be a heading of that file, slugged the way GitHub slugs headings. In-page links of a
markdown file (`](#anchor)`) must name one of its own headings.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = ".." + "/shared"  # spelled apart, so this file does not name it
SKIPPED_DIRS = {".venv", ".git", "node_modules", ".pytest_cache", ".ruff_cache", "__pycache__"}

URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
# A path or file name ending in .md (not .mdx), not in the middle of a longer word or path.
MD_NAME = re.compile(r"(?<![\w./-])((?:\.{1,2}/)*[\w./-]*\w\.md)(?![\w-])(#[\w-]+)?")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")


def tracked_files() -> list[Path]:
    """The repository's `*.py` and `*.md` files: `git ls-files`, else a walk of the tree."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", "*.py", "*.md"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        names = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        names = []
    if names:
        paths = [ROOT / name for name in names]
    else:  # not a git checkout (an unpacked archive): walk the tree
        paths = [p for p in ROOT.rglob("*") if p.suffix in (".py", ".md")]
    return sorted(
        p for p in paths if p.is_file() and not SKIPPED_DIRS.intersection(p.relative_to(ROOT).parts)
    )


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """The anchors of a markdown file's headings (outside code blocks), duplicates numbered."""
    found: list[str] = []
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            base = slug(match.group(2))
            taken = sum(1 for a in found if a == base or re.fullmatch(rf"{re.escape(base)}-\d+", a))
            found.append(base if taken == 0 else f"{base}-{taken}")
    return frozenset(found)


@cache
def markdown_by_name() -> dict[str, list[Path]]:
    by_name: dict[str, list[Path]] = {}
    for path in tracked_files():
        if path.suffix == ".md":
            by_name.setdefault(path.name, []).append(path)
    return by_name


def resolve(name: str, source: Path) -> Path | None:
    """The file `name` (as written in `source`) stands for, or None when there is none."""
    if name.startswith(("./", "../")):
        candidates = [source.parent / name]
    elif "/" in name:
        candidates = [ROOT / name, source.parent / name]
    else:
        candidates = [source.parent / name, ROOT / name, ROOT / "docs" / name]
        candidates += markdown_by_name().get(name, [])
    for candidate in candidates:
        path = candidate.resolve()
        if path.is_file() and path.is_relative_to(ROOT):
            return path
    return None


def problems_in(path: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with the references in `path` (named relative to `root`), one line each."""
    text = path.read_text(encoding="utf-8")
    where = path.relative_to(root)
    problems: list[str] = []
    if OUTSIDE in text:
        problems.append(f"{where}: names {OUTSIDE}, which a clone does not have")
    scanned = URL.sub(" ", text)
    for match in MD_NAME.finditer(scanned):
        name, anchor = match.group(1), match.group(2)
        target = resolve(name, path)
        if target is None:
            problems.append(f"{where}: names {name}, which is not in the repository")
        elif anchor and anchor[1:] not in anchors(target):
            problems.append(f"{where}: {name}{anchor}: no such heading in {name}")
    if path.suffix == ".md":
        for match in LINK.finditer(scanned):
            link = match.group(1)
            target_name, _, anchor = link.partition("#")
            if target_name == "" and anchor and anchor not in anchors(path):
                problems.append(f"{where}: (#{anchor}): no such heading in this file")
            elif target_name.endswith(".md") and not (path.parent / target_name).is_file():
                problems.append(f"{where}: links to {target_name}, which is not next to it")
    return problems


def test_every_documentation_reference_points_inside_the_repository() -> None:
    files = tracked_files()
    assert any(p.name == "README.md" for p in files)  # the scan found the project's files
    problems = [problem for path in files for problem in problems_in(path)]
    assert problems == [], "\n".join(problems)


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    md = ".md"  # kept apart from the names below, so the scan of this file does not see them
    page = tmp_path / f"page{md}"
    page.write_text("# A page\n\n## Two words\n\n## Two words\n\n```\n# not a heading\n```\n")
    assert anchors(page) == {"a-page", "two-words", "two-words-1"}
    assert slug("The `paperscout author --json` JSON") == "the-paperscout-author---json-json"
    assert slug("Novelty %") == "novelty-"
    assert resolve(f"docs/nowhere{md}", ROOT / "README.md") is None
    assert resolve("README.md", ROOT / "bot" / "app.py") == (ROOT / "README.md").resolve()
    text = f"see docs/a{md}#x, b{md} and c{md}x, https://example.org/d{md}"
    assert [m.group(1) for m in MD_NAME.finditer(URL.sub(" ", text))] == [f"docs/a{md}", f"b{md}"]

    broken = tmp_path / f"broken{md}"
    broken.write_text(f"# Broken\n\n[x](#nowhere) [y](other{md}) see {OUTSIDE}/notes\n")
    found = "\n".join(problems_in(broken, root=tmp_path))
    assert f"names {OUTSIDE}" in found
    assert "(#nowhere): no such heading" in found
    assert f"names other{md}, which is not in the repository" in found
    assert f"links to other{md}, which is not next to it" in found
    assert problems_in(page, root=tmp_path) == []
