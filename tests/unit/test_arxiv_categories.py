"""arXiv category names: every category in the recorded fixtures has one."""

from __future__ import annotations

import re

from bot.arxiv_categories import category_label, category_name
from tests.harness.fake_upstream import FIXTURES_DIR

# Atom: <category term="cs.CV" scheme="http://arxiv.org/schemas/atom"/>; RSS: <category>cs.CV<
ATOM_TERM = re.compile(rb'<(?:arxiv:primary_)?category[^>]*\bterm="([^"]+)"')
RSS_TERM = re.compile(rb"<category>([^<]+)</category>")
# An arXiv category (`cs.CV`, `hep-th`, `cond-mat.quant-gas`), not an ACM or MSC class that
# entries also list as terms (`I.2.6`, `68T05`).
ARXIV_CATEGORY = re.compile(r"^[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?$")


def fixture_categories() -> set[str]:
    found: set[str] = set()
    for folder in ("arxiv_api", "arxiv_rss"):
        for path in (FIXTURES_DIR / folder).iterdir():
            body = path.read_bytes()
            for term in ATOM_TERM.findall(body) + RSS_TERM.findall(body):
                found.add(term.decode().strip())
    return found


def test_every_arxiv_category_in_the_fixtures_has_a_name() -> None:
    seen = {c for c in fixture_categories() if ARXIV_CATEGORY.match(c)}
    assert len(seen) > 30  # the recordings cover many archives
    assert {c for c in seen if category_name(c) is None} == set()
    # The names are the category's own, not only its archive's.
    assert category_label("cs.DL") == "cs.DL · Digital Libraries"
    assert category_label("math.AP") == "math.AP · Analysis of PDEs"
    assert category_label("hep-th") == "hep-th · High Energy Physics - Theory"
    assert category_label("cmp-lg") == "cmp-lg · Computation and Language"  # retired archive


def test_an_unknown_code_falls_back_to_its_archive_then_to_itself() -> None:
    assert category_label("cs.QZ") == "cs.QZ · Computer Science"
    assert category_label("made-up") == "made-up"
