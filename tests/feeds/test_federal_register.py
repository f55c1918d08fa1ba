"""Tests for bot.feeds.federal_register: the documents.json shape, bad JSON and odd values."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot.errors import FeedParseError
from bot.feeds.federal_register import parse_documents_json
from bot.models import Health, KeyDate

FIXTURE = Path(__file__).parent.parent / "fixtures" / "feeds" / "federal_register_fcc.json"
BASE = "https://www.federalregister.gov/api/v1/documents.json"


def documents(*results: object, **extra: object) -> bytes:
    """A documents.json body holding the given results."""
    return json.dumps({"count": len(results), "results": list(results), **extra}).encode()


def test_calea_rescission_maps_every_field() -> None:
    feed = parse_documents_json(FIXTURE.read_bytes(), base_url=BASE)
    calea = feed.items[0]
    assert feed.title == "Documents from Federal Communications Commission"
    assert calea.title == "Communications Assistance for Law Enforcement Act"
    assert calea.link == (
        "https://www.federalregister.gov/documents/2025/12/15/2025-22830/"
        "communications-assistance-for-law-enforcement-act"
    )
    assert calea.guid == "2025-22830"
    assert calea.own_documents == ("2025-22830", "FCC 25-81")
    assert calea.dockets == ("PS 22-329",)
    assert calea.published == dt.datetime(2025, 12, 15, tzinfo=dt.UTC)
    assert calea.doc_type == "Rule"
    assert calea.dates == (KeyDate("effective", dt.date(2025, 12, 15)),)
    assert calea.text.startswith("In this document, the Federal Communications Commission")


def test_comment_deadline_and_multiple_dockets() -> None:
    feed = parse_documents_json(FIXTURE.read_bytes(), base_url=BASE)
    cable = feed.items[1]
    assert cable.dockets == ("OI 24-523", "MD 24-524")
    assert cable.dates == (KeyDate("comments_close", dt.date(2025, 11, 26)),)
    assert cable.doc_type == "Proposed Rule"


def test_null_fields_give_empty_values_not_errors() -> None:
    feed = parse_documents_json(FIXTURE.read_bytes(), base_url=BASE)
    sunshine = feed.items[2]
    assert sunshine.title == "Sunshine Act Meeting"
    assert sunshine.published is None
    assert sunshine.text == ""
    assert sunshine.dates == ()
    assert sunshine.dockets == ()


def test_non_object_results_are_skipped_with_a_warning() -> None:
    feed = parse_documents_json(FIXTURE.read_bytes(), base_url=BASE)
    assert len(feed.items) == 4
    assert feed.warnings == ("result #3 is a str, not an object: skipped",)


def test_malformed_values_are_dropped_individually() -> None:
    feed = parse_documents_json(FIXTURE.read_bytes(), base_url=BASE)
    odd = feed.items[3]
    assert odd.link is None  # javascript: URL
    assert odd.published is None  # "2025-13-45"
    assert odd.dates == (KeyDate("effective", dt.date(2025, 9, 18)),)  # bad comments_close_on
    assert odd.dockets == ("WC 17-97", "WC 20-67")  # "Nos." list expanded, the number 42 ignored


def test_relative_html_url_is_resolved_and_missing_number_falls_back_to_link() -> None:
    body = documents({"title": "T", "html_url": "/documents/2025/12/15/x/t"})
    item = parse_documents_json(body, base_url=BASE).items[0]
    assert item.link == "https://www.federalregister.gov/documents/2025/12/15/x/t"
    assert item.guid == item.link
    assert item.own_documents == ()


def test_hostile_strings_are_cleaned() -> None:
    body = documents(
        {
            "document_number": "2025-1<script>",
            "title": "<b>Rule</b>   &amp; order",
            "abstract": "<p>Text</p><script>steal()</script>",
            "type": 12,
            "docket_ids": "PS Docket No. 22-329",
        }
    )
    item = parse_documents_json(body, base_url=BASE).items[0]
    assert item.guid is None and item.own_documents == ()
    assert item.title == "Rule & order"
    assert item.text == "Text"
    assert item.doc_type is None
    assert item.dockets == ()  # docket_ids must be a list


@pytest.mark.parametrize(
    ("body", "health", "fragment"),
    [
        (b'{"results": [', Health.PARSE_ERROR, "invalid JSON"),
        (b"\xff\xfe{not json", Health.PARSE_ERROR, "invalid JSON"),
        (b"[" * 100_000, Health.PARSE_ERROR, "invalid JSON"),
        (b'{"errors": {"conditions": "bad agency"}}', Health.NOT_A_FEED, "'results' list"),
        (b'{"results": "none"}', Health.NOT_A_FEED, "'results' list"),
        (b"[1, 2]", Health.NOT_A_FEED, "'results' list"),
        (b'{"count": 0, "results": []}', Health.NOT_A_FEED, "no documents"),
        (b'{"results": [1, "x", null]}', Health.NOT_A_FEED, "no usable documents"),
    ],
    ids=[
        "truncated",
        "bad-encoding",
        "deep-nesting",
        "api-error",
        "results-not-list",
        "top-level-list",
        "empty",
        "no-objects",
    ],
)
def test_unusable_responses(body: bytes, health: Health, fragment: str) -> None:
    with pytest.raises(FeedParseError) as caught:
        parse_documents_json(body, base_url=BASE)
    assert caught.value.health is health
    assert fragment in caught.value.message
    assert len(caught.value.message) < 300
