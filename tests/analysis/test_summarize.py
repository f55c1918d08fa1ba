"""Tests for bot.analysis.summarize: sentences, selection, limits and the Summarizer seam."""

from __future__ import annotations

import re

import pytest

from bot.analysis.summarize import Summarizer, extractive_summary, split_sentences

TITLE = "FCC Rescinds January 2025 CALEA Declaratory Ruling"
RELEASE = (
    "FCC Rescinds January 2025 CALEA Declaratory Ruling. "
    "WASHINGTON, November 21, 2025—The Commission released an Order on Reconsideration "
    "(FCC 25-81) in PS Docket No. 22-329. "
    "The Order rescinds the January 2025 Declaratory Ruling and withdraws the NPRM. "
    "Media contact: Office of Media Relations. "
    "Chairman Carr thanked the staff of the U.S. Public Safety and Homeland Security Bureau. "
    "Commissioner Gomez dissented."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        (
            "Filed in PS Docket No. 22-329. Next sentence.",
            ["Filed in PS Docket No. 22-329.", "Next sentence."],
        ),
        ("WC Docket Nos. 17-97 and 20-67. Done.", ["WC Docket Nos. 17-97 and 20-67.", "Done."]),
        (
            "The U.S. Court of Appeals ruled. Then more.",
            ["The U.S. Court of Appeals ruled.", "Then more."],
        ),
        ("CTIA, Inc. Filed it, e.g. Today.", ["CTIA, Inc. Filed it, e.g. Today."]),
        (
            "Released as FCC 25-81. The vote was 2-1.",
            ["Released as FCC 25-81.", "The vote was 2-1."],
        ),
        ("Due Jan. 15, 2026. Reply Feb. 2.", ["Due Jan. 15, 2026.", "Reply Feb. 2."]),
        ("See www.fcc.gov. Then read.", ["See www.fcc.gov.", "Then read."]),
        ('He said "stop." Then left.', ['He said "stop."', "Then left."]),
        ("Statement of J. Smith. Ends here.", ["Statement of J. Smith.", "Ends here."]),
        ("version 1.5 is out. yes lower case.", ["version 1.5 is out. yes lower case."]),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_drops_a_leading_repeat_of_the_title_and_keeps_order() -> None:
    assert extractive_summary(TITLE, RELEASE, 200) == (
        "WASHINGTON, November 21, 2025—The Commission released an Order on Reconsideration "
        "(FCC 25-81) in PS Docket No. 22-329. "
        "The Order rescinds the January 2025 Declaratory Ruling and withdraws the NPRM."
    )
    everything = extractive_summary(TITLE, RELEASE, 400)
    assert everything == RELEASE.removeprefix(TITLE + ". ")


def test_prefers_signal_sentences_over_later_lead_sentences() -> None:
    text = (
        "The Commission met today. "
        "Staff presented an overview of the agenda items for the month. "
        "The Commission adopted rules; comments are due January 15, 2026."
    )
    summary = extractive_summary("Open meeting", text, 100)
    assert summary == (
        "The Commission met today. The Commission adopted rules; comments are due January 15, 2026."
    )


def test_title_repeated_without_punctuation_is_stripped() -> None:
    text = TITLE + " WASHINGTON—The Commission rescinded the ruling."
    assert extractive_summary(TITLE, text, 200) == "WASHINGTON—The Commission rescinded the ruling."


def test_first_sentence_near_copy_of_title_is_dropped() -> None:
    text = "FCC rescinds the January 2025 CALEA declaratory ruling. The vote was 2-1."
    assert extractive_summary(TITLE, text, 200) == "The vote was 2-1."


@pytest.mark.parametrize("limit", [20, 57, 80, 150, 400])
def test_never_exceeds_the_limit_and_never_cuts_mid_word(limit: int) -> None:
    summary = extractive_summary(TITLE, RELEASE, limit)
    assert 0 < len(summary) <= limit
    body = summary.removesuffix("…")
    for word in body.split():  # each word ends where a word of the source ends
        assert re.search(rf"(?<!\S){re.escape(word)}(?!\w)", RELEASE), word


def test_long_single_sentence_is_cut_at_a_word_boundary_with_ellipsis() -> None:
    sentence = "The Commission " + "carefully " * 100 + "decided."
    summary = extractive_summary("x", sentence, 60)
    assert summary == "The Commission carefully carefully carefully carefully…"
    assert len(summary) <= 60


@pytest.mark.parametrize(("text", "limit"), [("", 400), ("   ", 400), ("Some text.", 0)])
def test_empty_results(text: str, limit: int) -> None:
    assert extractive_summary("Title", text, limit) == ""


def test_text_that_only_repeats_the_title_gives_empty_summary() -> None:
    assert extractive_summary(TITLE, TITLE + ".", 400) == ""


def test_hostile_input_is_bounded() -> None:
    summary = extractive_summary("t", "A. " * 200_000 + "x" * 100_000, 400)
    assert len(summary) <= 400


def test_extractive_summary_satisfies_the_summarizer_protocol() -> None:
    def summarize_with(summarizer: Summarizer) -> str:
        return summarizer("Title", "First sentence here. Second one.", limit=30)

    assert summarize_with(extractive_summary) == "First sentence here."


def test_short_text_is_kept_whole_without_a_sentence_repeating_the_title():
    title = "FCC Rescinds CALEA Ruling"
    text = "FCC rescinds CALEA ruling. The vote was 2-1. Comments are not sought."
    assert extractive_summary(title, text) == "The vote was 2-1. Comments are not sought."
    assert extractive_summary(title, "FCC rescinds CALEA ruling.") == ""
    assert extractive_summary(title, "A short note. Another one.") == "A short note. Another one."


def test_an_initial_right_after_a_sentence_break_does_not_split_again():
    assert split_sentences("It ends. J. Smith agrees. No. 5 follows.") == [
        "It ends.",
        "J. Smith agrees.",
        "No. 5 follows.",
    ]
