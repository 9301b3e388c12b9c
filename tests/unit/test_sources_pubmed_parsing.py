"""The E-utilities XML parsers on every recorded body, the synthetic one, and small bodies built
here (each says what it changes)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.sources.errors import BadRequest, MalformedResponse
from bot.sources.models import PartialDate, PubMedRelation
from bot.sources.pubmed_parsing import parse_efetch, parse_esearch

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pubmed"
NOW = datetime(2026, 11, 28, tzinfo=UTC)
SYNTHETIC = "synthetic_efetch_pubmed_99000001-99000003_orcid-pmc-preprint.xml"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def record(inner: str = "", *, pmid: str = "1", data: str = "", set_tag: str = "") -> bytes:
    """A minimal efetch answer: one record whose `<Article>` holds `inner`."""
    article = f"<Article><ArticleTitle>T.</ArticleTitle>{inner}</Article>"
    body = (
        f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID>{article}</MedlineCitation>"
        f"<PubmedData>{data}</PubmedData></PubmedArticle>"
    )
    return f'<?xml version="1.0" ?><PubmedArticleSet>{body}{set_tag}</PubmedArticleSet>'.encode()


# --- esearch -------------------------------------------------------------------------------


def test_recorded_esearch_answers() -> None:
    author = parse_esearch(load("esearch_term-hart-rk-author_usehistory.xml"))
    assert (author.count, len(author.pmids), author.pmids[-1]) == (34, 34, "6067859")
    window = parse_esearch(load("esearch_term-cancer_reldate60_edat_retmax100_usehistory.xml"))
    assert (window.count, len(window.pmids)) == (42249, 100)  # more found than returned
    nothing = parse_esearch(load("esearch_no-results_phrase-not-found.xml"))
    assert nothing == (0, (), ("abcXYZ",))


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"<eSearchResult><Count>1</Count></eSearchResult>", "without <IdList>"),
        (b"<eSearchResult><IdList><Id>PMC1</Id></IdList></eSearchResult>", "non-PMID"),
        (b"<eSummaryResult><IdList/></eSummaryResult>", "root element 'eSummaryResult'"),
    ],
    ids=["no-idlist", "not-a-pmid", "wrong-root"],
)
def test_esearch_answers_that_are_not_usable(body: bytes, error: str) -> None:
    with pytest.raises(MalformedResponse, match=error):
        parse_esearch(body)


def test_an_esearch_count_out_of_range_is_unknown() -> None:
    body = b"<eSearchResult><Count>99999999999999999999</Count><IdList/></eSearchResult>"
    assert parse_esearch(body).count is None


# --- efetch: recorded ----------------------------------------------------------------------


def test_recorded_record_with_pmc_inline_markup_and_a_reference_list() -> None:
    (article,) = parse_efetch(load("efetch_pubmed_29915538.xml"), now=NOW)
    assert article.pmid == "29915538"
    assert article.title.startswith("Efficacy and Safety of Once-Weekly Semaglutide")
    assert article.abstract is not None
    assert article.abstract.startswith("Background: Semaglutide, a newly once-weekly")
    assert "through I2 test" in article.abstract  # I<sup>2</sup>, flattened
    assert (article.doi, article.pmcid) == ("10.3389/fphar.2018.00576", "PMC5994433")
    assert article.journal == "Frontiers in pharmacology"
    assert article.journal_abbreviation == "Front Pharmacol"
    assert article.published == PartialDate(2018, 6, 4)  # ArticleDate, not the PubDate year
    assert article.entrez_date == date(2018, 6, 20)
    assert [a.name for a in article.authors] == [
        "Shi, Fang-Hong",
        "Li, Hao",
        "Cui, Min",
        "Zhang, Zai-Li",
        "Gu, Zhi-Chun",
        "Liu, Xiao-Yan",
    ]
    assert article.authors[1].affiliations[0].startswith("Department of Pharmacy, Shanghai")
    assert article.publication_types == ("Journal Article",)
    assert (article.mesh_major_topics, article.relations, article.orcids) == ((), (), frozenset())


def test_recorded_medline_records_with_initials_only_and_mesh() -> None:
    first, second = parse_efetch(load("efetch_pubmed_11748933_11700088.xml"), now=NOW)
    assert first.authors[0].name == "Taddei, A R"
    assert (first.authors[0].fore_name, first.authors[0].initials) == ("A R", "AR")
    assert first.authors[0].affiliations == (
        "Dipartimento di Scienze Ambientali, Università degli Studi della Tuscia, 01100 Viterbo, "
        "Italy.",
    )
    assert first.published == PartialDate(2001, 6) and str(first.published) == "2001-06"
    assert first.mesh_major_topics == (
        "Cryopreservation",
        "Sea Bream",
        "Semen Preservation",
        "Sperm Motility",
        "Spermatozoa",
    )
    assert first.abstract is not None and "Copyright" not in first.abstract
    assert first.pmcid is None and first.doi == "10.1006/cryo.2001.2328"
    assert second.journal_abbreviation == "J Magn Reson" and second.mesh_major_topics == ()


# --- efetch: synthetic ---------------------------------------------------------------------


def test_synthetic_records_identifiers_abstract_sections_and_the_preprint_link() -> None:
    article, preprint, old = parse_efetch(load(SYNTHETIC), now=NOW)
    assert article.abstract == (
        "BACKGROUND: Populations expanding their range often disperse faster at the front.\n"
        "METHODS: We model a life-history trade-off between dispersal and reproduction "
        "(r versus K).\n"
        "RESULTS: Dispersal falls back once the expansion stops (P < 0.01).\n"
        "CONCLUSIONS: Fast dispersal is transient."
    )
    perkins, boettiger, phillips = article.authors
    assert perkins.orcid is None  # the ROR id belongs to the affiliation, not the author
    assert boettiger.orcid == "0000-0002-1642-628X"
    assert phillips.orcid == "0000-0002-1825-0097"  # written undashed
    assert len(phillips.affiliations) == 1  # the same affiliation twice
    assert article.pmcid == "PMC9000001"  # not the reference list's PMC0000002
    assert article.mesh_major_topics == ("Animal Distribution", "Population Dynamics")
    assert article.relations == (  # the `Cites` link is left out
        PubMedRelation(
            ref_type="UpdateOf",
            pmid="99000002",
            doi="10.1101/014852",
            source="bioRxiv. 2015 Feb 4:014852. doi: 10.1101/014852.",
        ),
    )
    assert not article.is_preprint
    assert preprint.is_preprint and preprint.doi == "10.1101/014852"  # from the ArticleIdList
    assert preprint.authors[1].orcid == "0000-0002-1642-628X"  # written as a URL
    assert [(r.ref_type, r.pmid, r.doi) for r in preprint.relations] == [
        ("UpdateIn", "99000001", "10.1002/ece3.2314")
    ]
    assert preprint.published == PartialDate(2015, 2, 4)
    assert [a.name for a in old.authors] == ["Smith, John, Jr", "Dispersal Study Group"]
    assert old.authors[1].last_name is None
    assert old.published == PartialDate(1975, 11)  # MedlineDate `1975 Nov-Dec`, pre-arXiv
    assert (old.abstract, old.doi, old.pmcid) == (None, None, None)


# --- efetch: small bodies ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pub_date", "expected"),
    [
        ("<Year>2001</Year><Month>Jun</Month><Day>12</Day>", PartialDate(2001, 6, 12)),
        ("<Year>2001</Year><Month>06</Month>", PartialDate(2001, 6)),
        ("<Year>2001</Year><Season>Spring</Season>", PartialDate(2001)),
        ("<Year>2001</Year><Month>Feb</Month><Day>30</Day>", PartialDate(2001, 2)),
        ("<MedlineDate>1998 Dec-1999 Jan</MedlineDate>", PartialDate(1998, 12)),
        ("<MedlineDate>2001 Jun 12-18</MedlineDate>", PartialDate(2001, 6, 12)),
        ("<MedlineDate>2000 Spring</MedlineDate>", PartialDate(2000)),
        ("<MedlineDate>1976-1977</MedlineDate>", PartialDate(1976)),
        ("<MedlineDate>Winter 2001</MedlineDate>", PartialDate(2001)),
        ("<MedlineDate>undated</MedlineDate>", None),
        ("<Year>9999</Year>", None),  # implausible: unknown
    ],
)
def test_issue_dates(pub_date: str, expected: PartialDate | None) -> None:
    journal = f"<Journal><JournalIssue><PubDate>{pub_date}</PubDate></JournalIssue></Journal>"
    (article,) = parse_efetch(record(journal), now=NOW)
    assert article.published == expected


def test_an_implausible_article_date_falls_back_to_the_issue_date() -> None:
    inner = (
        "<Journal><JournalIssue><PubDate><Year>2024</Year></PubDate></JournalIssue></Journal>"
        "<ArticleDate><Year>2099</Year><Month>01</Month><Day>01</Day></ArticleDate>"
    )
    (article,) = parse_efetch(record(inner), now=NOW)
    assert article.published == PartialDate(2024)


def test_an_entrez_date_must_be_a_plausible_day() -> None:
    def entrez(y: str, m: str, d: str) -> bytes:
        day = f'<PubMedPubDate PubStatus="entrez"><Year>{y}</Year><Month>{m}</Month><Day>{d}</Day>'
        return record(data=f"<History>{day}</PubMedPubDate></History>")

    assert parse_efetch(entrez("2026", "11", "27"), now=NOW)[0].entrez_date == date(2026, 11, 27)
    assert parse_efetch(entrez("2027", "1", "1"), now=NOW)[0].entrez_date is None
    assert parse_efetch(entrez("2026", "13", "1"), now=NOW)[0].entrez_date is None


def test_only_authors_count_and_only_valid_ones() -> None:
    inner = (
        '<AuthorList Type="authors"><Author ValidYN="N"><LastName>Smiht</LastName></Author>'
        "<Author><LastName>Smith</LastName><Initials>J</Initials></Author>"
        "<Author><Initials>X</Initials></Author></AuthorList>"
        '<AuthorList Type="editors"><Author><LastName>Editor</LastName></Author></AuthorList>'
    )
    (article,) = parse_efetch(record(inner), now=NOW)
    assert [a.name for a in article.authors] == ["Smith, J"]


def test_books_deletions_and_records_without_a_pmid_are_left_out() -> None:
    extra = (
        "<PubmedBookArticle><BookDocument><PMID>2</PMID></BookDocument></PubmedBookArticle>"
        "<PubmedArticle><MedlineCitation><PMID>none</PMID><Article/></MedlineCitation>"
        "</PubmedArticle>"
        "<DeleteCitation><PMID>3</PMID></DeleteCitation>"
    )
    assert [a.pmid for a in parse_efetch(record(set_tag=extra), now=NOW)] == ["1"]
    assert parse_efetch(b"<PubmedArticleSet></PubmedArticleSet>") == []


def test_a_doi_from_elocation_when_the_article_ids_have_none() -> None:
    inner = (
        '<ELocationID EIdType="doi" ValidYN="N">10.1000/wrong</ELocationID>'
        '<ELocationID EIdType="doi" ValidYN="Y">https://doi.org/10.1000/RIGHT</ELocationID>'
    )
    (article,) = parse_efetch(record(inner), now=NOW)
    assert article.doi == "10.1000/right"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"  \n",
        load("efetch_pubmed_29915538.xml")[:9000],
        b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>",
        b"<html><body><p>maintenance</p></body></html>",
        load("esearch_term-hart-rk-author_usehistory.xml"),
        b"\x00\x01garbage",
    ],
    ids=["empty", "blank", "truncated", "html-doctype", "xhtml", "esearch-root", "binary"],
)
def test_bodies_that_are_not_a_record_set_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        parse_efetch(body)


@pytest.mark.parametrize(
    "body",
    [
        b"<eFetchResult><ERROR>Cannot retrieve history data</ERROR></eFetchResult>",
        b'<?xml version="1.0"?><ERROR>Empty id list - nothing todo</ERROR>',
    ],
    ids=["in-a-result", "alone"],
)
def test_an_error_document_is_a_bad_request(body: bytes) -> None:
    with pytest.raises(BadRequest, match=r"E-utilities refused the request: (Cannot|Empty)"):
        parse_efetch(body)


@pytest.mark.parametrize(
    ("doctype", "title", "error"),
    [
        (
            '<!DOCTYPE PubmedArticleSet [<!ENTITY x "EXPANDED">]>',
            "&x; title",
            "DOCTYPE with inline declarations",
        ),
        (
            '<!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
            "&b;",
            "DOCTYPE with inline declarations",
        ),
        (
            "<!DOCTYPE PubmedArticleSet [<!ELEMENT PubmedArticleSet ANY>]>",
            "title",
            "DOCTYPE with inline declarations",
        ),
        (
            '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle//EN" '
            '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">',
            "&undeclared; title",
            "an entity reference",
        ),
    ],
    ids=["internal-entity", "nested-entities", "element-declaration", "undeclared-reference"],
)
def test_entities_are_never_expanded_and_their_documents_refused(
    doctype: str, title: str, error: str
) -> None:
    body = (
        f'<?xml version="1.0" ?>\n{doctype}\n<PubmedArticleSet><PubmedArticle><MedlineCitation>'
        f"<PMID>1</PMID><Article><ArticleTitle>{title}</ArticleTitle></Article>"
        "</MedlineCitation></PubmedArticle></PubmedArticleSet>"
    ).encode()
    with pytest.raises(MalformedResponse, match=error):
        parse_efetch(body)
