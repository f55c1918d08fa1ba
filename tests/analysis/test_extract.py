"""Tests for bot.analysis.extract: dockets, FCC and FR documents, key dates, hostile text."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.analysis.extract import (
    MAX_PER_KIND,
    extract_identifiers,
    find_dockets,
    find_key_dates,
    find_relative_dates,
    normalize_docket,
    own_documents_from_link,
    resolve_relative_date,
)
from bot.models import KeyDate, ParsedItem, RelativeDate


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


# --- Real typography (issue 8): dashes, breaks, other written forms, deadline wording ---------


@pytest.mark.parametrize(
    ("text", "dockets", "fcc_numbers"),
    [
        ("MB Docket No. 23\u2013405", ("MB 23-405",), ()),
        ("MB Docket No. 23\u2014405; FCC 24\u201317", ("MB 23-405",), ("FCC 24-17",)),
        ("WT Docket No. 19\u221238, DA 25\u2011763", ("WT 19-38",), ("DA 25-763",)),
        ("WT Docket No. 19- 38 and FCC 11- 161", ("WT 19-38",), ("FCC 11-161",)),
        ("IB Docket No. 20\u2013 205", ("IB 20-205",), ()),
        ("GN Docket No. 12\u2012\n268 (FCC 15-\n80)", ("GN 12-268",), ("FCC 15-80",)),
        ("MB Dkt. No. 23-405, WC Doc. No. 17-97", ("MB 23-405", "WC 17-97"), ()),
        (
            "FCC Number 21-30 and DA No. 25-763; FCC-25-45",
            (),
            ("FCC 21-30", "DA 25-763", "FCC 25-45"),
        ),
        (
            "WC Docket Nos. 17-\n108, 17-287, and 11-42",
            ("WC 17-108", "WC 17-287", "WC 11-42"),
            (),
        ),
        ("GN Docket No. 13-5; WC Docket No. 05-25", ("GN 13-5", "WC 05-25"), ()),
        ("filed in WT \nDocket No. 12-354 and PP Docket 93-253", ("WT 12-354", "PP 93-253"), ()),
        (
            "Federal Communications CommissionFCC 11-16 / CommissionDA 11-1471",
            (),
            ("FCC 11-16", "DA 11-1471"),
        ),
    ],
)
def test_dashes_breaks_and_written_forms(
    text: str, dockets: tuple[str, ...], fcc_numbers: tuple[str, ...]
) -> None:
    ids = ids_of(text)
    assert ids.dockets == dockets
    assert ids.fcc_numbers == fcc_numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "RM-11771, RM- 11772, RM No. 11820, RM\u201311821",
            ("RM-11771", "RM-11772", "RM-11820", "RM-11821"),
        ),
        ("Docket No. RM2024-9 and Docket No. PRM-50-114", ()),  # Postal and NRC dockets
    ],
)
def test_rulemaking_petitions(text: str, expected: tuple[str, ...]) -> None:
    assert find_dockets(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[FR Doc. 2024\u201311802 Filed 5\u201330\u201324; 8:45 am]", ("2024-11802",)),
        ("FR Doc. 2024 \u2014 11803 and FR Document2018-10787", ("2024-11803", "2018-10787")),
        ("[FR Doc No: 95-16200] and FR Doc. E9-27050", ("95-16200", "E9-27050")),
    ],
)
def test_fr_document_numbers_in_any_typography(text: str, expected: tuple[str, ...]) -> None:
    assert ids_of(text).fr_numbers == expected


@pytest.mark.parametrize(
    "text",
    [
        "Call (202) 418-0500 or 202\u2013418\u20137285; TTY: 888-835-5322.",
        "Adopted 2024-11-02; see \u00a7 1.4 and 47 CFR 64.2011, pages 12-345.",
        "COVID-19 relief at 45 L Street NE, Washington, DC 20554; FCC Form 477; FDA 25-11.",
        "Docket No. APHIS-2013-0021, Docket No. 40-3392, CPSC Docket No. 22-1, Pub. L. No. 112-96.",
        "email FCC504@fcc.gov; 32 FCC Rcd 2786; RNAV Route Q-33; 3.45-3.55 GHz",
    ],
)
def test_lookalikes_are_not_identifiers(text: str) -> None:
    ids = ids_of(text)
    assert (ids.dockets, ids.fcc_numbers, ids.fr_numbers, ids.dates) == ((), (), (), ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The deadline for filing reply comments is extended to April 14, 2026.",
            [("reply_comments_close", "2026-04-14")],
        ),
        (
            "Comments on the Second Further Notice of Proposed Rulemaking, FCC 25-25, are due on "
            "May 1, 2026, and reply comments are due no later than June 2, 2026.",
            [("comments_close", "2026-05-01"), ("reply_comments_close", "2026-06-02")],
        ),
        (
            "Revised Comment Date in GN Docket 18-238: September 17, 2018",
            [("comments_close", "2018-09-17")],
        ),
        (
            "extends the deadline for filing initial and reply comments in response to the Notice "
            "until September 17, 2018 and October 1, 2018, respectively.",
            [("comments_close", "2018-09-17"), ("reply_comments_close", "2018-10-01")],
        ),
        (
            "comments will now be due by July 1, 2015 and replies by July 22, 2015.",
            [("comments_close", "2015-07-01"), ("reply_comments_close", "2015-07-22")],
        ),
        (
            "The correct effective date for Airspace Docket No. 19-AAL-63 is October 5, 2023.",
            [("effective", "2023-10-05")],
        ),
        ("The effective date was incorrectly stated as August 10, 2023.", []),
        ("CCA requests a 30-day extension of the reply comment deadline, to October 8, 2014.", []),
        ("comments filed by AT&T on June 1, 2024 support the proposal", []),
    ],
)
def test_deadline_wording(text: str, expected: list[tuple[str, str]]) -> None:
    found = [(d.kind, d.date.isoformat()) for d in find_key_dates(text)]
    assert found == expected


def test_procedural_effective_dates_are_tentative() -> None:
    text = (
        "Effective March 19, 2020, and until further notice, the Commission no longer accepts "
        "any hand or messenger delivered filings. The rules are effective May 1, 2020."
    )
    ids = ids_of(text)
    assert ids.dates == (KeyDate("effective", dt.date(2020, 5, 1)),)
    assert ids.tentative_dates == (KeyDate("effective", dt.date(2020, 3, 19), "low"),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Comments are due 30 days after publication in the Federal Register.",
            [("comments_close", 30)],
        ),
        (
            "Comment Date: [30 days after date of publication in the Federal Register] Reply "
            "Comment Date: [45 days after date of publication in the Federal Register]",
            [("comments_close", 30), ("reply_comments_close", 45)],
        ),
        (
            "Comments are due on or before [INSERT DATE 30 DAYS AFTER DATE OF PUBLICATION IN THE "
            "FEDERAL REGISTER].",
            [("comments_close", 30)],
        ),
        (
            "Comments are due 30 days after the Public Notice is published in the Federal "
            "Register, and replies will be due 15 days later.",
            [("comments_close", 30), ("reply_comments_close", 45)],
        ),
        ("Responses are due 30 days after publication in the Federal Register.", []),
        ("This rule is effective 30 days after publication in the Federal Register.", []),
    ],
)
def test_relative_deadlines(text: str, expected: list[tuple[str, int]]) -> None:
    assert [(r.kind, r.days) for r in find_relative_dates(text)] == expected


def test_relative_deadlines_resolve_on_the_federal_register_publication_only() -> None:
    text = "Comments are due 30 days after publication in the Federal Register."
    published = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)  # a Thursday
    fr_item = ids_of(text, published=published, own_documents=("2026-00123",))
    # Day 30 is Saturday 2026-02-14; Monday the 16th is Washington's Birthday (47 CFR 1.4).
    assert fr_item.dates == (KeyDate("comments_close", dt.date(2026, 2, 17)),)
    assert fr_item.relative_dates == ()
    fcc_release = ids_of(text, published=published, link="https://docs.fcc.gov/x.pdf")
    assert fcc_release.dates == ()
    assert fcc_release.relative_dates == (RelativeDate("comments_close", 30),)


@pytest.mark.parametrize(
    ("relative", "published", "due"),
    [
        (RelativeDate("comments_close", 30), dt.date(2025, 6, 4), dt.date(2025, 7, 7)),  # Jul 4 Fri
        (
            RelativeDate("comments_close", 30),
            dt.date(2025, 10, 13),
            dt.date(2025, 11, 12),
        ),  # Vet Day
        (RelativeDate("reply_comments_close", 45), dt.date(2025, 11, 10), dt.date(2025, 12, 26)),
        (RelativeDate("comments_close", 10), dt.date(2026, 1, 5), dt.date(2026, 1, 15)),
    ],
)
def test_relative_deadline_day_counting(
    relative: RelativeDate, published: dt.date, due: dt.date
) -> None:
    assert resolve_relative_date(relative, published) == KeyDate(relative.kind, due)


@pytest.mark.parametrize(
    "unit",
    [
        "WC Docket Nos. 17\u2013 ",
        "17-97, ",
        "- \n",
        "FCC 24\u2013 ",
        "comments are due on or before ",
        "reply comments ",
        "effective ",
        "Docket No. 1",
        "FR Doc. 2024 ",
        "RM- ",
        "9",
        "CommissionDA ",
        " and 1",
    ],
)
def test_one_megabyte_of_pathological_text_is_handled(unit: str) -> None:
    hostile = (unit * (1_000_000 // len(unit) + 1))[:1_000_000] + " PS Docket No. 22-329."
    # The scanners themselves on the full megabyte (extract_identifiers caps at SCAN_LIMIT).
    assert len(find_dockets(hostile)) <= MAX_PER_KIND
    assert len(find_key_dates(hostile)) <= MAX_PER_KIND
    assert len(find_relative_dates(hostile)) <= MAX_PER_KIND
    tail = ids_of(hostile[-200_000:])
    assert all(
        len(values) <= MAX_PER_KIND for values in (tail.dockets, tail.fcc_numbers, tail.dates)
    )
    assert find_dockets("x " + hostile[-50:]) == ("PS 22-329",)
