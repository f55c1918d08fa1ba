"""Parsing Federal Register public-inspection JSON (the FCC's documents, a day early)."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources

import pytest

from bot.errors import FeedParseError
from bot.feeds.parse import parse_feed
from bot.models import Health, Source

PI = Source("fr-pi", "FR public inspection", "https://fr.example/pi.json",
            kind="federal_register_public_inspection")  # fmt: skip
FR = Source("fr", "Federal Register", "https://fr.example/docs.json", kind="federal_register_json")
SAMPLES = resources.files("bot") / "samples"


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_bytes())


def parse(data: dict, source: Source = PI):
    return parse_feed(json.dumps(data).encode(), source=source, base_url=source.url)


def test_only_fcc_documents_are_kept_with_their_publication_day_and_dockets():
    items = parse(sample("public_inspection.json")).items
    assert [i.own_documents for i in items] == [("2025-22830",), ("2025-23101",)]
    first, special = items
    assert first.text.startswith("On public inspection — publishes 2025-12-15.")
    assert first.dockets == ("PS 22-329",) and "FCC 25-81" in first.text
    assert first.published == dt.datetime(2025, 12, 12, 13, 45, tzinfo=dt.UTC)
    assert "Special filing." in special.text
    assert first.doc_type.startswith("public inspection")


def test_a_withdrawn_document_says_so():
    data = sample("public_inspection.json")
    data["results"][0]["editorial_note"] = "This document was withdrawn from public inspection."
    [withdrawn, _] = parse(data).items
    assert withdrawn.text.startswith("Withdrawn from public inspection.")
    assert withdrawn.doc_type.endswith("withdrawn")


@pytest.mark.parametrize(
    ("body", "health"), [(b"{nope", Health.PARSE_ERROR), (b'{"count": 0}', Health.NOT_A_FEED)]
)
def test_bad_bodies_are_named_health_states(body, health):
    with pytest.raises(FeedParseError) as raised:
        parse_feed(body, source=PI, base_url=PI.url)
    assert raised.value.health is health


def test_a_day_with_no_fcc_document_is_an_empty_ok_answer():
    data = {"count": 1, "results": [sample("public_inspection.json")["results"][2]]}
    assert parse(data).items == ()
