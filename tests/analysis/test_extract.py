"""Tests for bot.analysis.extract: dockets, FCC and FR documents, key dates, hostile text."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.analysis.extract import (
    MAX_PER_KIND,
    extract_identifiers,
    find_dockets,
    find_key_dates,
    normalize_docket,
    own_documents_from_link,
)
from bot.models import KeyDate, ParsedItem


def ids_of(text: str = "", title: str = "", link: str | None = None, **fields):
    """Identifiers of an item built from the given parts."""
    return extract_identifiers(ParsedItem(title=title, text=text, link=link, **fields))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PS Docket No. 22-329", "PS 22-329"),
        ("WC Docket Nos. 17-97, 20-67", "WC 17-97"),
        ("GN Docket 25-166", "GN 25-166"),
        ("ET Docket No. 04-295", "ET 04-295"),
        ("ps docket no. 22-329", "PS 22-329"),
        ("WC 18-89", "WC 18-89"),
        ("OI-24-523", "OI 24-523"),
        ("RM-11991", "RM-11991"),
        ("Docket No. 22-329", None),  # no bureau: ambiguous
        ("FCC 25-81", None),
        ("", None),
    ],
)
def test_normalize_docket(text: str, expected: str | None) -> None:
    assert normalize_docket(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in PS Docket No. 22-329.", ("PS 22-329",)),
        ("WC Docket Nos. 17-97, 20-67", ("WC 17-97", "WC 20-67")),
        ("WC Docket Nos. 17-97, 20-67, and 21-1", ("WC 17-97", "WC 20-67", "WC 21-1")),
        ("WC Docket Nos. 17-97 and 20-67", ("WC 17-97", "WC 20-67")),
        ("WC Docket Nos. 17-97; 20-67", ("WC 17-97", "WC 20-67")),
        (
            "OI Docket No. 24-523; MD Docket No. 24-524",
            ("OI 24-523", "MD 24-524"),
        ),
        ("CG Docket 17-59 and WC Docket No. 18-89", ("CG 17-59", "WC 18-89")),
        ("GN Docket 25-166 (GN Docket 25-166)", ("GN 25-166",)),
        ("ET Docket No. 24-136 and ET Docket No. 04-295", ("ET 24-136", "ET 04-295")),
        ("petition RM-11991 and PS Docket No. 23-239", ("PS 23-239", "RM-11991")),
        ("Docket No. 22-329 and PS 22-329", ()),  # needs "Docket" and a bureau prefix
        ("the XY Docket No. 22-329", ()),  # unknown prefix
        ("PS Docket No. 22-3290000", ()),  # not a docket-shaped number
    ],
)
def test_find_dockets(text: str, expected: tuple[str, ...]) -> None:
    assert find_dockets(text) == expected


def test_fcc_numbers_doc_ids_and_attachment_names() -> None:
    ids = ids_of(
        "Order on Reconsideration (FCC 25-81), DA 25-763 and FCC-25-81A1.pdf; "
        "press release DOC-415455A1 and dissent DOC-415409A1; 40 FCC Rcd 1234; FDA 25-11."
    )
    assert ids.fcc_numbers == ("FCC 25-81", "DA 25-763")
    assert ids.doc_ids == ("DOC-415455A1", "DOC-415409A1")


def test_links_contribute_identifiers() -> None:
    assert ids_of(link="https://docs.fcc.gov/public/attachments/DOC-415455A1.pdf").doc_ids == (
        "DOC-415455A1",
    )
    assert ids_of(link="https://docs.fcc.gov/public/attachments/FCC-25-81A1.pdf").fcc_numbers == (
        "FCC 25-81",
    )
    fr_link = (
        "https://www.federalregister.gov/documents/2025/12/15/2025-22830/"
        "communications-assistance-for-law-enforcement-act"
    )
    assert ids_of(link=fr_link).fr_numbers == ("2025-22830",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[FR Doc. 2025-22830 Filed 12-12-25; 8:45 am]", ("2025-22830",)),
        ("FR Doc No: 2025-22830", ("2025-22830",)),
        ("Document Number: 2025-22830", ("2025-22830",)),
        (
            "see https://www.federalregister.gov/d/2025-22830 and "
            "https://www.govinfo.gov/content/pkg/FR-2025-12-15/pdf/2025-22831.pdf",
            ("2025-22830", "2025-22831"),
        ),
        ("Adopted 2025-11-20, released 2025-11-21.", ()),  # dates are not FR numbers
        ("PS Docket No. 22-329 and 2025-22830 alone", ()),  # no introducer
    ],
)
def test_fr_document_numbers_need_an_introducer(text: str, expected: tuple[str, ...]) -> None:
    assert ids_of(text).fr_numbers == expected


def test_fr_citations() -> None:
    ids = ids_of("published at 90 FR 12345, corrected at 90 Fed. Reg. 12,400 (see 47 CFR 1.1).")
    assert ids.fr_citations == ("90 FR 12345", "90 FR 12400")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Comments are due on or before January 15, 2026, and reply comments are due "
            "February 2, 2026.",
            [("comments_close", "2026-01-15"), ("reply_comments_close", "2026-02-02")],
        ),
        ("Reply comments due Feb. 2, 2026.", [("reply_comments_close", "2026-02-02")]),
        ("Comment deadline: March 3, 2026.", [("comments_close", "2026-03-03")]),
        ("This rule is effective December 15, 2025.", [("effective", "2025-12-15")]),
        ("The rules will take effect on Sept. 18, 2025.", [("effective", "2025-09-18")]),
        ("Effective date: 2026-01-14.", [("effective", "2026-01-14")]),
        ("The compliance date is June 1st, 2026.", [("compliance", "2026-06-01")]),
        ("Providers must comply by July 1, 2026.", [("compliance", "2026-07-01")]),
        ("Comments are due 30 days after publication in the Federal Register.", []),
        ("a cost-effective approach adopted on March 3, 2026", []),
        ("effective communication with consumers by April 1, 2026", []),
        ("Comments are due on or before February 30, 2026.", []),  # impossible date
    ],
)
def test_key_dates(text: str, expected: list[tuple[str, str]]) -> None:
    found = [(d.kind, d.date.isoformat()) for d in find_key_dates(text)]
    assert found == expected


def test_structured_fields_come_first_and_merge_without_duplicates() -> None:
    ids = ids_of(
        title="Communications Assistance for Law Enforcement Act",
        text="Rescinds the ruling (FCC 25-81) in PS Docket No. 22-329; effective Dec. 15, 2025.",
        link="https://www.federalregister.gov/documents/2025/12/15/2025-22830/calea",
        own_documents=("2025-22830", "FCC 25-81", "DOC-415455A1", "90 FR 58210"),
        dockets=("PS Docket No. 22-329", "OI Docket No. 24-523", "not a docket"),
        dates=(KeyDate("effective", dt.date(2025, 12, 15)),),
    )
    assert ids.dockets == ("PS 22-329", "OI 24-523")
    assert ids.fcc_numbers == ("FCC 25-81",)
    assert ids.doc_ids == ("DOC-415455A1",)
    assert ids.fr_numbers == ("2025-22830",)
    assert ids.fr_citations == ("90 FR 58210",)
    assert ids.dates == (KeyDate("effective", dt.date(2025, 12, 15)),)
    assert ids.documents() == ("FCC 25-81", "DOC-415455A1", "2025-22830", "90 FR 58210")


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://docs.fcc.gov/public/attachments/DOC-415455A1.pdf", ("DOC-415455A1",)),
        ("https://docs.fcc.gov/public/attachments/FCC-25-81A1.txt", ("FCC 25-81",)),
        ("https://docs.fcc.gov/public/attachments/DA-25-763A1.pdf", ("DA 25-763",)),
        ("https://www.federalregister.gov/documents/2025/12/15/2025-22830/x", ("2025-22830",)),
        ("https://www.federalregister.gov/d/2025-22830", ("2025-22830",)),
        ("https://evil.example/docs.fcc.gov/public/attachments/DOC-1234567A1.pdf", ()),
        ("https://www.fcc.gov/document/fcc-rescinds-calea-ruling", ()),
        (None, ()),
    ],
)
def test_own_documents_from_link(link: str | None, expected: tuple[str, ...]) -> None:
    assert own_documents_from_link(link) == expected


def test_counts_are_capped_per_kind() -> None:
    text = " ".join(f"PS Docket No. 22-{n} FCC 25-{n} DOC-{400000 + n}A1" for n in range(1, 200))
    ids = ids_of(text)
    assert len(ids.dockets) == MAX_PER_KIND
    assert len(ids.fcc_numbers) == MAX_PER_KIND
    assert len(ids.doc_ids) == MAX_PER_KIND
    assert ids.dockets[0] == "PS 22-1"


@pytest.mark.parametrize(
    "hostile",
    [
        "PS Docket Nos. " + "17-97, " * 20_000,
        "comments " * 20_000 + "due",
        "Comments are are are " * 10_000 + "January",
        "FR Doc. " * 20_000,
        "9" * 100_000,
        "-" * 50_000 + "PS Docket",
    ],
    ids=["long-list", "repeated-keyword", "filler-run", "introducers", "digits", "dashes"],
)
def test_hostile_text_finishes_with_bounded_results(hostile: str) -> None:
    ids = ids_of(hostile, title=hostile[:500])
    assert all(
        len(values) <= MAX_PER_KIND
        for values in (ids.dockets, ids.fcc_numbers, ids.fr_numbers, ids.dates)
    )
