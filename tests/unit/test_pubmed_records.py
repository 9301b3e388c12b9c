"""PubMed records as works: the day a record appeared, and what vouches for a name match."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.pubmed_records import (
    REASON_AFFILIATION,
    REASON_COAUTHOR,
    REASON_ORCID,
    REJECT_OTHER_ORCID,
    REJECT_UNVOUCHED,
    appeared,
    judge_line,
    pubmed_paper,
    shares_institution,
)
from bot.sources.models import PartialDate, PubMedArticle, PubMedAuthor, PubMedRelation

ORCID = "0000-0002-1642-628X"


@pytest.mark.parametrize(
    ("published", "entered", "expected"),
    [
        (PartialDate(2016, 8, 18), date(2016, 9, 27), date(2016, 8, 18)),  # to the day: as is
        (PartialDate(2016, 9), date(2016, 9, 27), date(2016, 9, 27)),  # `2016 Sep`: entered
        (PartialDate(2016), date(2016, 3, 2), date(2016, 3, 2)),
        (PartialDate(2016, 9), date(2016, 8, 30), date(2016, 9, 1)),  # entered before the issue
        (PartialDate(2016, 9), None, date(2016, 9, 1)),
        (None, date(2016, 9, 27), date(2016, 9, 27)),
        (None, None, None),
    ],
)
def test_the_day_a_record_appeared(
    published: PartialDate | None, entered: date | None, expected: date | None
) -> None:
    article = PubMedArticle("1", "T", published=published, entrez_date=entered)
    assert appeared(article) == expected


@pytest.mark.parametrize(
    ("printed", "institution", "expected"),
    [
        (
            "Dept of ESPM, University of California, Berkeley, CA, USA.",
            "University of California, Berkeley",
            True,
        ),
        ("Université de Montréal, Québec", "Universite de Montreal", True),
        ("Eidgenössische Technische Hochschule (ETH) Zürich", "ETH Zurich", True),
        ("ETH Zürich, Switzerland", "ETH Zurich", True),
        ("Harvard Medical School, Boston", "Harvard", True),
        ("Department of Cardiology, Charité", "MIT", False),  # too short to compare
        ("Unimelb", "University of Melbourne", False),
        ("University of Oxford", "University of Oxfordshire", False),  # word boundaries
    ],
)
def test_an_affiliation_names_an_institution(
    printed: str, institution: str, expected: bool
) -> None:
    assert shares_institution([printed], [institution]) is expected


@pytest.mark.parametrize(
    ("line_orcid", "orcid", "coauthor", "affiliation", "expected"),
    [
        (ORCID, ORCID, False, "", (True, REASON_ORCID)),
        (
            "0000-0001-1111-1111",
            ORCID,
            True,
            "University of Melbourne",
            (False, REJECT_OTHER_ORCID),
        ),
        ("0000-0001-1111-1111", None, False, "University of Melbourne", (True, REASON_AFFILIATION)),
        (None, ORCID, True, "", (True, REASON_COAUTHOR)),
        (None, None, False, "University of Oxford", (False, REJECT_UNVOUCHED)),
    ],
)
def test_what_vouches_for_a_name_match(
    line_orcid: str | None,
    orcid: str | None,
    coauthor: bool,
    affiliation: str,
    expected: tuple[bool, str],
) -> None:
    verdict = judge_line(
        line_orcid,
        [affiliation],
        orcid=orcid,
        institutions=["University of Melbourne"],
        shared_coauthor=coauthor,
    )
    assert verdict == expected


def test_a_journal_version_names_its_preprint_and_a_preprint_has_no_venue() -> None:
    author = PubMedAuthor("Boettiger, Carl", "Boettiger", "Carl", "C", ("UC Berkeley",), ORCID)
    journal = PubMedArticle(
        "99000001",
        "After the games are over",
        authors=(author,),
        doi="10.1002/ece3.2314",
        journal="Ecology and evolution",
        published=PartialDate(2016, 8, 18),
        publication_types=("Journal Article",),
        relations=(PubMedRelation("UpdateOf", "99000002", "10.1101/014852", "bioRxiv"),),
    )
    paper = pubmed_paper(journal)
    assert paper is not None
    assert (paper.pmid, paper.doi, paper.venue, paper.url) == (
        "99000001",
        "10.1002/ece3.2314",
        "Ecology and evolution",
        "https://pubmed.ncbi.nlm.nih.gov/99000001/",
    )
    assert paper.same_as == (("pmid", "99000002"), ("doi", "10.1101/014852"))
    assert [(a.name, a.affiliations) for a in paper.authors] == [
        ("Carl Boettiger", ("UC Berkeley",))
    ]
    preprint = pubmed_paper(
        PubMedArticle(
            "99000002",
            "T",
            published=PartialDate(2015, 2, 4),
            journal="bioRxiv",
            publication_types=("Preprint",),
        )
    )
    assert preprint is not None and preprint.venue is None
    assert pubmed_paper(PubMedArticle("1", "No date")) is None
