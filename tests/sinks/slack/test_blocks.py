"""Rendering alerts, bursts, digests, replies and App Home as Block Kit: safe and within limits."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from slack_sdk.models.views import View

from bot.commands.reply import Button, Facts, Heading, ItemRef, Paragraph, Reply, error_reply
from bot.models import Topic, TopicMatch
from bot.sinks.slack.blocks import (
    MUTE_ACTION,
    OPEN_ACTION,
    escape_mrkdwn,
    render_alert,
    render_alert_blocks,
    render_alert_text,
    render_burst,
    render_digest,
    render_reply,
)
from bot.sinks.slack.home import render_home
from bot.sinks.slack.kit import MAX_HOME_BLOCKS
from bot.sinks.slack.mrkdwn import link, safe_url
from tests.sinks.slack.conftest import HOSTILE_TITLE, PUBLISHED, assert_valid_blocks, make_alert


def all_text(blocks: list[dict]) -> str:
    """Every string in the blocks, joined (to search for what Slack would interpret)."""
    return json.dumps(blocks, ensure_ascii=False)


def mrkdwn_texts(blocks: list[dict]) -> list[str]:
    """The text of every mrkdwn object."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if value.get("type") == "mrkdwn":
                found.append(value["text"])
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(blocks)
    return found


def control_sequences(text: str) -> list[str]:
    """The `<…>` sequences Slack would interpret in mrkdwn."""
    sequences, start = [], text.find("<")
    while start != -1:
        end = text.find(">", start)
        sequences.append(text[start : end + 1])
        start = text.find("<", end)
    return sequences


class TestEscaping:
    def test_escapes_exactly_three_characters(self) -> None:
        assert escape_mrkdwn("a & b < c > d *e* _f_ `g` |h|") == (
            "a &amp; b &lt; c &gt; d *e* _f_ `g` |h|"
        )

    def test_only_http_urls_are_linked(self) -> None:
        assert link("https://fcc.gov/a", "Order", 100) == "<https://fcc.gov/a|Order>"
        assert link("javascript:alert(1)", "Order", 100) == "Order"
        assert link("mailto:x@example.com", "Order", 100) == "Order"
        assert link("//fcc.gov/a", "Order", 100) == "Order"

    @pytest.mark.parametrize(
        "url",
        [
            "https://fcc.gov/a|Official notice",
            "https://fcc.gov/a>b",
            "https://fcc.gov/<a",
            "https://fcc.gov/a b",
            "https://fcc.gov/a\nb",
            "https://fcc.gov/a\u202eb",
        ],
    )
    def test_urls_that_could_break_out_are_not_linked(self, url: str) -> None:
        assert safe_url(url) is None
        assert link(url, "Order", 100) == "Order"

    def test_label_is_escaped_and_ampersand_in_url_encoded(self) -> None:
        assert link("https://fcc.gov/?a=1&b=2", "<b> & co", 100) == (
            "<https://fcc.gov/?a=1&amp;b=2|&lt;b&gt; &amp; co>"
        )

    def test_truncation_never_splits_an_entity(self) -> None:
        rendered = render_alert_blocks(make_alert(title="&" * 1000))
        title = rendered[1]["text"]["text"]
        assert title.endswith("…>*")
        label = title[title.index("|") + 1 : -2]
        assert label.replace("&amp;", "") == "…"


class TestAlert:
    def test_alert_has_every_part_and_is_valid(self) -> None:
        alert = make_alert(matters=("calea-network-security",))
        blocks = render_alert_blocks(alert)
        assert_valid_blocks(blocks)
        text = all_text(blocks)
        for expected in (
            "FCC EDOCS",
            "<https://docs.fcc.gov/public/attachments/FCC-25-1A1.pdf|Order on Reconsideration #1>",
            "<!date^",
            "calea (docket PS 22-329)",
            "PS 22-329",
            "FCC 25-81",
            "comments due: 2026-01-20",
            "rescinds the 2025 CALEA",
            "Also in",
            "Federal Register",
            "calea-network-security",
        ):
            assert expected in text, expected
        buttons = blocks[-1]["elements"]
        assert buttons[0]["action_id"] == OPEN_ACTION
        assert buttons[0]["url"] == alert.link
        assert buttons[1] == {
            "type": "button",
            "text": {"type": "plain_text", "text": "Mute this topic here", "emoji": True},
            "action_id": MUTE_ACTION,
            "value": "calea",
        }

    def test_hostile_title_comes_out_as_inert_text(self) -> None:
        alert = make_alert(
            title=HOSTILE_TITLE,
            source_name="<!here> FCC",
            summary="<!everyone> <!subteam^S1> <#C123> see <https://evil|the rule>",
            dockets=("<@U999>",),
            also_in=("<!channel>",),
        )
        blocks = render_alert_blocks(alert)
        assert_valid_blocks(blocks)
        for text in mrkdwn_texts(blocks):
            for sequence in control_sequences(text):
                # Only the bot's own link to the item and its date formatting remain.
                assert sequence.startswith(("<https://docs.fcc.gov/", "<!date^")), sequence
        assert "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil|FCC&gt;" in all_text(blocks)
        fallback = render_alert_text(alert)
        assert "<" not in fallback and ">" not in fallback
        assert "&lt;!channel&gt;" in fallback

    def test_unsafe_link_gives_no_button_and_no_link(self) -> None:
        blocks = render_alert_blocks(make_alert(link="javascript:alert(1)"))
        assert_valid_blocks(blocks)
        assert "javascript" not in all_text(blocks)
        assert all(e["action_id"] != OPEN_ACTION for e in blocks[-1]["elements"])

    def test_several_topics_get_one_mute_button_each(self) -> None:
        topics = tuple(TopicMatch(t, "keyword") for t in ("calea", "robocalls", "a", "b"))
        blocks = render_alert_blocks(make_alert(topics=topics))
        assert_valid_blocks(blocks)
        mutes = [e for e in blocks[-1]["elements"] if e["action_id"].startswith(MUTE_ACTION)]
        assert [(m["action_id"], m["value"]) for m in mutes] == [
            ("calea_mute", "calea"),
            ("calea_mute_1", "robocalls"),
            ("calea_mute_2", "a"),
        ]

    def test_update_is_marked(self) -> None:
        alert = make_alert(action="update", revision=3)
        assert "*Updated* (revision 3)" in all_text(render_alert_blocks(alert))
        assert render_alert_text(alert).startswith("Updated from FCC EDOCS")

    def test_huge_fields_stay_within_limits(self) -> None:
        alert = make_alert(
            title="T" * 10_000,
            summary="word " * 5_000,
            source_name="S" * 5_000,
            dockets=tuple(f"PS 22-{n}" for n in range(2_000)),
            documents=tuple(f"FCC 25-{n}" for n in range(2_000)),
            also_in=tuple("x" * 100 for _ in range(100)),
            link="https://fcc.gov/" + "a" * 2_900,
        )
        message = render_alert(alert)
        assert_valid_blocks(message.blocks)
        assert len(message.text) <= 3000

    def test_undated_untitled_alert_without_topics(self) -> None:
        alert = make_alert(
            title="", published=None, topics=(), dockets=(), documents=(), dates=(), also_in=()
        )
        blocks = render_alert_blocks(alert)
        assert_valid_blocks(blocks)
        assert "(untitled)" in all_text(blocks) and "undated" in all_text(blocks)


class TestBurstAndDigest:
    def test_burst_is_one_message_listing_every_alert(self) -> None:
        alerts = [make_alert(i) for i in range(1, 6)]
        [message] = render_burst(alerts)
        assert_valid_blocks(message.blocks)
        assert message.alerts == tuple(alerts)
        assert message.blocks[0]["text"]["text"] == "5 new regulatory alerts"
        text = all_text(message.blocks)
        assert all(f"Order on Reconsideration #{i}" in text for i in range(1, 6))

    def test_huge_burst_is_split_into_valid_parts_without_losing_alerts(self) -> None:
        alerts = [make_alert(i, summary="s" * 280, title=HOSTILE_TITLE) for i in range(1, 201)]
        messages = render_burst(alerts)
        assert len(messages) > 1
        for number, message in enumerate(messages, start=1):
            assert_valid_blocks(message.blocks)
            assert f"(part {number} of {len(messages)})" in message.blocks[0]["text"]["text"]
        carried = [a.outbox_id for m in messages for a in m.alerts]
        assert carried == list(range(1, 201))

    def test_digest_groups_by_topic(self) -> None:
        alerts = [
            make_alert(1, topics=(TopicMatch("robocalls", "keyword"),)),
            make_alert(2),
            make_alert(3, topics=()),
            make_alert(4),
        ]
        [message] = render_digest(alerts, day=dt.date(2025, 11, 21))
        assert_valid_blocks(message.blocks)
        assert message.blocks[0]["text"]["text"] == "Daily digest for 2025-11-21: 4 items"
        headings = [
            b["text"]["text"] for b in message.blocks if b["text"]["text"].startswith("*Topic:")
        ]
        assert headings == ["*Topic: calea*", "*Topic: other*", "*Topic: robocalls*"]
        assert {a.outbox_id for a in message.alerts} == {1, 2, 3, 4}

    def test_long_digest_repeats_the_topic_heading_in_each_part(self) -> None:
        alerts = [make_alert(i, summary="s" * 280) for i in range(1, 120)]
        messages = render_digest(alerts)
        assert len(messages) > 1
        for message in messages:
            assert_valid_blocks(message.blocks)
            assert message.blocks[1]["text"]["text"] == "*Topic: calea*"
        assert sum(len(m.alerts) for m in messages) == 119


class TestReply:
    def test_every_reply_block_renders_validly(self) -> None:
        reply = Reply(
            text="Status <topic> & more",
            blocks=(
                Heading("Status"),
                Paragraph("Usage: subscribe <topic…> [daily]"),
                Paragraph(HOSTILE_TITLE, untrusted=True),
                Facts((("Source <x>", "<!here> ok"), ("Dockets", "PS 22-329"))),
                ItemRef(
                    title=HOSTILE_TITLE,
                    link="https://fcc.gov/doc",
                    source="FCC",
                    published=PUBLISHED,
                    topics=("calea",),
                    references=("PS 22-329",),
                    summary="Summary",
                ),
                Button("Next page", command="search --page 2 calea rescind"),
                Button("Open", url="https://fcc.gov/doc"),
                Button("Bad", url="javascript:alert(1)"),
            ),
        )
        payload = render_reply(reply)
        assert_valid_blocks(payload["blocks"])
        assert payload["text"] == "Status &lt;topic&gt; &amp; more"
        text = all_text(payload["blocks"])
        assert "subscribe &lt;topic…&gt;" in text
        assert "&lt;!channel&gt;" in text and "&lt;!here&gt; ok" in text
        [actions] = [b for b in payload["blocks"] if b["type"] == "actions"]
        assert [(e["action_id"], e.get("value"), e.get("url")) for e in actions["elements"]] == [
            ("calea_command_0", "search --page 2 calea rescind", None),
            ("calea_open_1", None, "https://fcc.gov/doc"),
        ]

    def test_error_reply(self) -> None:
        payload = render_reply(error_reply("Unknown topic <x>", usage="subscribe <topic>"))
        assert_valid_blocks(payload["blocks"])
        assert "Unknown topic &lt;x&gt;" in all_text(payload["blocks"])

    def test_long_reply_is_cut_with_a_note(self) -> None:
        items = tuple(
            ItemRef(title=f"Item {n} " + "x" * 200, link=None, source="FCC") for n in range(120)
        )
        payload = render_reply(Reply(text="Search results", blocks=(Heading("Results"), *items)))
        assert_valid_blocks(payload["blocks"])
        assert payload["blocks"][-1]["type"] == "context"
        assert "more not shown" in payload["blocks"][-1]["elements"][0]["text"]

    def test_long_paragraph_is_split_into_sections(self) -> None:
        text = "\n".join(f"line {n} " + "y" * 90 for n in range(100))
        payload = render_reply(Reply(text="help", blocks=(Paragraph(text),)))
        assert_valid_blocks(payload["blocks"])
        assert len(payload["blocks"]) >= 4
        assert "line 99" in all_text(payload["blocks"])

    def test_reply_without_blocks_shows_its_text(self) -> None:
        payload = render_reply(Reply(text="Done <ok>"))
        assert_valid_blocks(payload["blocks"])
        assert payload["blocks"][0]["text"]["text"] == "Done &lt;ok&gt;"


class TestHome:
    def test_home_view_is_valid_and_within_100_blocks(self) -> None:
        items = [
            ItemRef(title=HOSTILE_TITLE, link="https://fcc.gov/d", source="FCC", published=None)
            for _ in range(15)
        ]
        topics = [
            Topic(id=f"topic-{n}", title=f"Topic <{n}>", description="d" * 300) for n in range(80)
        ]
        view = render_home(
            health_line="11 sources ok, 1 failing: NTIA (timeout)",
            latest=items,
            topics=topics,
            paused=["#gone: Slack refused to post (channel_not_found)"],
        )
        assert view["type"] == "home"
        assert_valid_blocks(view["blocks"], max_blocks=MAX_HOME_BLOCKS)
        View(**view).to_dict()  # slack_sdk validates the view (≤ 100 blocks)
        text = all_text(view["blocks"])
        assert "NTIA (timeout)" in text and "channel_not_found" in text
        assert text.count("&lt;!channel&gt;") == 10
        assert "… and 20 more" in text

    def test_empty_home(self) -> None:
        view = render_home(health_line="0 sources ok", latest=[], topics=[])
        assert_valid_blocks(view["blocks"], max_blocks=MAX_HOME_BLOCKS)
        assert "Nothing stored yet" in all_text(view["blocks"])
