"""Tracked matters: the CALEA proceeding's state from the real feeds.yaml, merged timelines,
upcoming dates, which matters an item concerns, and reading a document's effect from its title."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.analysis.matters import (
    TRACKING,
    document_key,
    infer_event_state,
    item_events,
    matter_status,
    merge_timeline,
    related_matters,
)
from bot.config import load_config
from bot.models import Identifiers, KeyDate, Matter, MatterEvent, ParsedItem

REAL_FEEDS = Path(__file__).resolve().parents[2] / "feeds.yaml"
D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def matters() -> tuple[Matter, ...]:
    return load_config(REAL_FEEDS).matters


@pytest.fixture(scope="module")
def calea(matters: tuple[Matter, ...]) -> Matter:
    return next(m for m in matters if m.id == "calea-network-security")


# --- state from the seeded timeline -------------------------------------------------------------


def test_calea_is_rescinded_as_of_2025_11_20(calea: Matter) -> None:
    status = matter_status(calea, [], today=D("2026-01-10"))
    assert (status.state, status.as_of) == ("rescinded", D("2025-11-20"))
    assert [e.date for e in status.timeline] == sorted(e.date for e in calea.timeline)
    assert status.upcoming == ()


def test_calea_state_on_earlier_days(calea: Matter) -> None:
    in_force = matter_status(calea, [], today=D("2025-06-01"))
    assert (in_force.state, in_force.as_of) == ("in force", D("2025-01-15"))
    assert [e.date for e in in_force.upcoming] == [
        D("2025-10-30"),
        D("2025-11-20"),
        D("2025-11-21"),
        D("2025-12-15"),
    ]
    # The vote day itself counts: the state has changed, and the event is still "upcoming".
    vote_day = matter_status(calea, [], today=D("2025-11-20"))
    assert vote_day.state == "rescinded" and vote_day.upcoming[0].date == D("2025-11-20")
    before = matter_status(calea, [], today=D("2024-12-31"))
    assert (before.state, before.as_of) == (TRACKING, None)
    assert len(before.upcoming) == len(calea.timeline)


def test_event_from_an_item_with_a_later_state_changes_it(calea: Matter) -> None:
    vacated = MatterEvent(D("2026-03-02"), "Court vacates the order", state="vacated", item_id=7)
    status = matter_status(calea, [vacated], today=D("2026-03-05"))
    assert (status.state, status.as_of) == ("vacated", D("2026-03-02"))
    assert status.timeline[-1] == vacated


def test_future_state_does_not_count_yet(calea: Matter) -> None:
    future = MatterEvent(D("2026-06-01"), "Rules take effect", state="in force")
    status = matter_status(calea, [future], today=D("2026-01-10"))
    assert status.state == "rescinded"
    assert status.upcoming == (future,)


def test_same_day_events_are_stable_later_source_wins(calea: Matter) -> None:
    same_day = MatterEvent(D("2025-11-20"), "Order adopted at open meeting", state="adopted")
    status = matter_status(calea, [same_day], today=D("2025-12-01"))
    assert (status.state, status.as_of) == ("adopted", D("2025-11-20"))
    seeded = [e for e in status.timeline if e.date == D("2025-11-20")]
    assert [e.state for e in seeded] == ["rescinded", "adopted"]


def test_state_less_matter_is_tracking(matters: tuple[Matter, ...]) -> None:
    covered = next(m for m in matters if m.id == "covered-list")
    status = matter_status(covered, [], today=D("2026-01-01"))
    assert (status.state, status.as_of, status.timeline) == (TRACKING, None, ())


# --- merging and upcoming dates ----------------------------------------------------------------


def test_duplicate_events_collapse_and_fill_blanks(calea: Matter) -> None:
    from_item = MatterEvent(
        D("2025-11-21"),
        "FCC Rescinds CALEA Ruling (news release)",
        state="rescinded",
        document="fcc-25-81",
        url="https://example.gov/x",
        item_id=42,
    )
    status = matter_status(calea, [from_item, from_item], today=D("2026-01-01"))
    same_day = [e for e in status.timeline if e.date == D("2025-11-21")]
    assert len(same_day) == 1
    merged = same_day[0]
    assert merged.label.startswith("Order on Reconsideration released")  # seed label kept
    assert merged.document == "FCC 25-81"
    assert merged.url == "https://docs.fcc.gov/public/attachments/FCC-25-81A1.pdf"  # seed url kept
    assert (merged.item_id, merged.state) == (42, "rescinded")  # blanks filled from the item
    assert status.as_of == D("2025-11-21")


def test_events_without_documents_collapse_by_label() -> None:
    a = MatterEvent(D("2025-02-01"), "Petitions  for reconsideration")
    b = MatterEvent(D("2025-02-01"), "petitions for Reconsideration", item_id=3)
    c = MatterEvent(D("2025-02-01"), "Ex parte meeting")
    assert merge_timeline([a], [b, c]) == (MatterEvent(D("2025-02-01"), a.label, item_id=3), c)


def test_upcoming_dates_soonest_first(matters: tuple[Matter, ...]) -> None:
    cables = next(m for m in matters if m.id == "submarine-cable-security")
    reply = MatterEvent(D("2025-12-26"), "Reply comments due")
    status = matter_status(cables, [reply], today=D("2025-11-01"))
    assert [e.date for e in status.upcoming] == [D("2025-11-26"), D("2025-12-26")]
    assert (status.state, status.as_of) == ("adopted", D("2025-10-27"))
    after = matter_status(cables, [reply], today=D("2025-11-27"))
    assert after.upcoming == (reply,)


# --- which matters an item concerns ---------------------------------------------------------------


def test_related_by_docket(matters: tuple[Matter, ...]) -> None:
    assert related_matters(Identifiers(dockets=("PS 22-329",)), matters) == (
        "calea-network-security",
    )
    both = Identifiers(dockets=("WC 17-97", "CG 17-59", "XX 99-1"))
    assert related_matters(both, matters) == ("stir-shaken", "robocalls")


def test_related_by_documents(matters: tuple[Matter, ...]) -> None:
    assert related_matters(Identifiers(fcc_numbers=("FCC 25-81",)), matters) == (
        "calea-network-security",
    )
    assert related_matters(Identifiers(doc_ids=("DOC-415455A1",)), matters) == (
        "calea-network-security",
    )
    assert related_matters(Identifiers(), matters, own_documents=("2025-22830",)) == (
        "calea-network-security",
    )
    assert related_matters(Identifiers(), matters, own_documents=("aa25-239a",)) == (
        "salt-typhoon",
    )
    assert related_matters(Identifiers(fcc_numbers=("FCC 25-27",)), matters) == ("bad-labs",)


def test_unrelated_item(matters: tuple[Matter, ...]) -> None:
    unrelated = Identifiers(dockets=("MB 23-1",), fcc_numbers=("FCC 24-1",))
    assert related_matters(unrelated, matters, ("2024-00001",)) == ()


def test_timeline_documents_also_relate() -> None:
    matter = Matter("m", "M", timeline=(MatterEvent(D("2025-01-01"), "x", document="DA 25-763"),))
    assert related_matters(Identifiers(fcc_numbers=("DA 25-763",)), [matter]) == ("m",)


def test_document_key() -> None:
    assert document_key(" fcc-25-81 ") == document_key("FCC 25-81") == "FCC 25-81"
    assert document_key("doc-415455a1") == "DOC-415455A1"


# --- what a document did --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "state"),
    [
        ("FCC Rescinds CALEA Declaratory Ruling, PS Docket No. 22-329", "", "rescinded"),
        ("FCC Votes to Rescind Network Security Ruling", "", "rescinded"),
        ("Rescission of Declaratory Ruling", "", "rescinded"),
        (
            "Order on Reconsideration",
            "The Commission grants the petitions and rescinds the 2025 Declaratory Ruling.",
            "rescinded",
        ),
        ("Order on Reconsideration", "We deny the petitions.", "reconsidered"),
        ("Notice of Proposed Rulemaking", "", "proposed"),
        (
            "Protecting Against Threats",
            "In this document, the Commission proposes rules",
            "proposed",
        ),
        ("Report and Order and Further Notice of Proposed Rulemaking", "", "adopted"),
        ("Declaratory Ruling", "", "adopted"),
        ("FCC Adopts Submarine Cable Rules", "", "adopted"),
        ("Petitions for Reconsideration of Action in Rulemaking Proceeding", "", "petitioned"),
        ("Final rule; announcement of effective date", "", "in force"),
        ("Notice of Inquiry on AI robocalls", "", "inquiry"),
        ("FCC Withdraws Pending NPRM", "", "withdrawn"),
        ("Comment Sought on Cyber Trust Mark Administrator", "", "comment sought"),
        ("Court vacates FCC rule", "", "vacated"),
        ("FCC Proposes to Rescind Rule", "", "proposed"),
        ("CTIA files petition to rescind ruling", "", None),
        ("FCC declines to rescind the rules", "", None),
        ("Draft Order on Reconsideration", "would rescind the ruling", None),
        ("In May, the Commission rescinded the ruling", "", "rescinded"),
        ("Weekly digest", "Industry news roundup.", None),
    ],
)
def test_infer_event_state(title: str, text: str, state: str | None) -> None:
    assert infer_event_state(title, text) == state


def test_only_the_opening_text_is_read() -> None:
    assert infer_event_state("Public Notice", "x " * 400 + "rescinds the order") is None


# --- events an item adds ------------------------------------------------------------------------


def test_item_events() -> None:
    item = ParsedItem(
        title="Rescission of  CALEA Declaratory Ruling",
        link="https://www.federalregister.gov/d/2025-22830",
        published=dt.datetime(2025, 12, 15, 14, 0, tzinfo=dt.UTC),
        own_documents=("2025-22830",),
        dates=(KeyDate("effective", D("2026-01-14")),),
    )
    ids = Identifiers(
        fcc_numbers=("FCC 25-81",),
        dates=(KeyDate("effective", D("2026-01-14")), KeyDate("comments_close", D("2026-01-20"))),
    )
    main, effective, comments = item_events(item, ids, item_id=9)
    assert main == MatterEvent(
        D("2025-12-15"),
        "Rescission of CALEA Declaratory Ruling",
        state="rescinded",
        document="2025-22830",
        url=item.link,
        item_id=9,
    )
    assert effective.date == D("2026-01-14") and effective.state is None
    assert effective.label == "Takes effect — 2025-22830: Rescission of CALEA Declaratory Ruling"
    assert comments.label.startswith("Comments due — 2025-22830")
    assert (comments.item_id, comments.url) == (9, item.link)


def test_item_without_date_adds_only_key_dates() -> None:
    item = ParsedItem(title="Comment dates set")
    ids = Identifiers(dates=(KeyDate("reply_comments_close", D("2026-02-01")),))
    (only,) = item_events(item, ids)
    assert only.label == "Reply comments due — Comment dates set"
    assert item_events(ParsedItem(title="x"), Identifiers()) == ()


def test_item_events_feed_matter_status(calea: Matter) -> None:
    item = ParsedItem(
        title="Court vacates FCC order",
        published=dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=5))),
    )
    status = matter_status(calea, item_events(item, Identifiers()), today=D("2026-05-01"))
    # 03:00 at UTC+5 is 22:00 UTC the day before.
    assert (status.state, status.as_of) == ("vacated", D("2026-03-31"))


def test_related_matters_follows_the_matters_it_is_given() -> None:
    first = (Matter("a", "A", dockets=("PS 22-329",)),)
    second = [Matter("b", "B", dockets=("PS 22-329",)), Matter("c", "C", documents=("FCC 25-81",))]
    ids = Identifiers(dockets=("PS 22-329",), fcc_numbers=("FCC 25-81",))
    assert related_matters(ids, first) == ("a",)
    assert related_matters(ids, second) == ("b", "c")
    second.pop()
    assert related_matters(ids, second) == ("b",)  # a list may change between calls
    assert related_matters(ids, first) == ("a",)


def test_granting_a_petition_and_rescinding_is_a_rescission():
    text = (
        "In this document, the Commission grants a petition for reconsideration and rescinds "
        "the Declaratory Ruling it adopted in January 2025."
    )
    assert infer_event_state("Communications Assistance for Law Enforcement Act", text) == (
        "rescinded"
    )
