"""Every card the Teams adapter can produce: valid 1.4 Adaptive Cards, small, and inert."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from bot.commands.reply import Button, Facts, Heading, ItemRef, Paragraph, Reply, error_reply
from bot.models import KeyDate, TopicMatch
from bot.sinks.teams.cards import (
    alert_card,
    burst_card,
    connection_test_card,
    digest_card,
    reply_card,
    reply_message,
)
from bot.sinks.teams.elements import MAX_PAYLOAD_BYTES, encode_payload, message_payload
from tests.sinks.teams.card_checks import (
    assert_inert,
    assert_valid_card,
    card_links,
    card_texts,
    inert_problems,
    visible,
)
from tests.sinks.teams.helpers import ALL_HOSTILE, HOSTILE, NOW, hostile_alert, make_alert

LONG = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 200


def _item(n: int, **changes) -> ItemRef:
    values = dict(
        title=f"Item {n}",
        link=f"https://www.federalregister.gov/d/2025-{n:05d}",
        source="Federal Register",
        published=NOW,
        topics=("calea",),
        references=("PS 22-329",),
        summary="A summary.",
    )
    values.update(changes)
    return ItemRef(**values)


def _full_reply(n_items: int = 3) -> Reply:
    return Reply(
        text="Search results",
        blocks=(
            Heading("Results for calea"),
            Paragraph("Newest first."),
            Facts((("Topic", "calea"), ("Matches", str(n_items)))),
            *(_item(n) for n in range(n_items)),
            Button("Open FCC", url="https://www.fcc.gov/calea"),
            Button("Next page", command="search --page 2 calea"),
        ),
    )


CARDS = {
    "alert": lambda: alert_card(make_alert()),
    "alert compact": lambda: alert_card(make_alert(), compact=True),
    "alert update": lambda: alert_card(make_alert(action="update", revision=2)),
    "alert minimal": lambda: alert_card(
        make_alert(
            link=None,
            published=None,
            topics=(),
            dockets=(),
            documents=(),
            dates=(),
            summary="",
            also_in=(),
            matters=(),
        )
    ),
    "alert huge": lambda: alert_card(
        make_alert(
            title=LONG,
            summary=LONG,
            dockets=tuple(f"PS {n}-1" for n in range(500)),
            dates=tuple(KeyDate("effective", dt.date(2026, 1, 1)) for _ in range(50)),
        )
    ),
    "alert hostile": lambda: alert_card(hostile_alert()),
    "burst": lambda: burst_card([make_alert(n) for n in range(1, 6)]),
    "burst compact": lambda: burst_card([make_alert(n) for n in range(1, 6)], compact=True),
    "burst huge": lambda: burst_card([make_alert(n, summary=LONG, title=LONG) for n in range(400)]),
    "burst hostile": lambda: burst_card([hostile_alert(n) for n in range(1, 8)]),
    "digest": lambda: digest_card(
        [make_alert(1), make_alert(2, topics=(TopicMatch("e911", "kw"),)), make_alert(3, topics=())]
    ),
    "digest empty": lambda: digest_card([]),
    "digest huge": lambda: digest_card([make_alert(n, summary=LONG) for n in range(400)]),
    "digest hostile": lambda: digest_card([hostile_alert(n) for n in range(1, 4)]),
    "test card": lambda: connection_test_card("compliance-alerts", NOW),
    "reply": lambda: reply_card(_full_reply()),
    "reply many items": lambda: reply_card(_full_reply(200)),
    "reply hostile": lambda: reply_card(
        Reply(
            text=ALL_HOSTILE,
            blocks=(
                Paragraph(ALL_HOSTILE, untrusted=True),
                Facts((("Feed", ALL_HOSTILE),)),
                ItemRef(
                    ALL_HOSTILE,
                    "javascript:alert(1)",
                    ALL_HOSTILE,
                    None,
                    (ALL_HOSTILE,),
                    (ALL_HOSTILE,),
                    ALL_HOSTILE,
                ),
                Button("Open", url="javascript:alert(1)"),
                Button("More", command=ALL_HOSTILE),
            ),
        )
    ),
    "reply only text": lambda: reply_card(Reply(text="Done.")),
}


@pytest.mark.parametrize("name", CARDS)
def test_every_card_is_a_valid_adaptive_card_1_4_within_28_kb(name):
    card = CARDS[name]()
    assert_valid_card(card)


def test_rule_check_catches_what_webhooks_cannot_render():
    card = alert_card(make_alert())
    bad = json.loads(json.dumps(card))
    bad["version"] = "1.5"
    bad["actions"].append({"type": "Action.Submit", "title": "Go"})
    bad["body"].append({"type": "Table", "columns": [], "rows": []})
    bad["body"].append({"type": "TextBlock", "text": "x", "style": "heading"})
    from tests.sinks.teams.card_checks import card_problems

    problems = "\n".join(card_problems(bad))
    for needle in ("version 1.4", "Action.Submit", "Table", "style needs version 1.5"):
        assert needle in problems


def test_alert_card_shows_everything_that_matters():
    alert = make_alert()
    card = alert_card(alert)
    text = visible("\n".join(card_texts(card)))
    for expected in (
        "NEW",
        "FCC EDOCS",
        "2025-11-21 11:00 UTC",
        alert.title,
        "calea",
        "lawful_intercept",
        "PS 22-329",
        "FCC 25-81",
        "Comments due",
        "2025-12-22",
        "calea-ruling",
        "Federal Register",
        "rescinds the January 2025 declaratory ruling",
    ):
        assert expected in text, expected
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open", "url": alert.link}]
    assert f"]({alert.link})" in card["body"][1]["text"]  # the linked title
    assert "UPDATED" in card_texts(alert_card(make_alert(action="update")))[1]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_feed_text_is_inert_in_alert_cards(hostile):
    alert = hostile_alert(text=hostile)
    card = alert_card(alert)
    assert_valid_card(card)
    assert_inert(card, allowed_links=(alert.link,))
    assert card_links(card) == [alert.link, alert.link]  # the title and the Open button only


def test_hostile_text_is_inert_in_bursts_digests_and_replies():
    alerts = [hostile_alert(n) for n in range(1, 6)]
    links = tuple(a.link for a in alerts)
    assert_inert(burst_card(alerts), allowed_links=links)
    assert_inert(digest_card(alerts), allowed_links=links)
    assert_inert(CARDS["reply hostile"]())
    assert card_links(CARDS["reply hostile"]()) == []  # javascript: links are dropped


def test_inert_text_still_reads_as_the_original_words():
    card = alert_card(hostile_alert(text="[Official FCC notice](https://evil.example/login) *x*"))
    title = visible(card["body"][1]["text"])
    assert "Official FCC notice" in title
    assert "evil.example/login" in title  # shown as text, not as a link
    assert "*x*" in title


def test_the_inert_check_itself_catches_raw_markup():
    for raw in (
        "[a](https://evil.example)",
        "<at>x</at>",
        "&lt;",
        "{{DATE(x)}}",
        "**b**",
        "https://x",
        "evil.com",
        "- item",
    ):
        assert inert_problems(raw), raw


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "ftp://ftp.fcc.gov/x",
        "https://www.fcc.gov@evil.example/x",
        "https://",
        "https://ex ample.com/x",
        "https://example.com/\u202ex",
    ],
)
def test_unsafe_item_links_are_not_linked(link):
    card = alert_card(make_alert(link=link))
    assert card_links(card) == []
    assert "actions" not in card


def test_links_cannot_break_out_of_markdown():
    card = alert_card(make_alert(link="https://example.com/a)[x](https://evil.example/\"'<>"))
    assert_valid_card(card)
    links = card_links(card)
    assert links and all(
        "evil.example" not in link.split("%")[0] or ")" not in link for link in links
    )
    assert all(c not in links[0] for c in ")( <>\"'")


def test_a_huge_burst_drops_entries_behind_an_and_more_line():
    alerts = [make_alert(n, summary=LONG, title=LONG) for n in range(400)]
    card = burst_card(alerts)
    size = len(encode_payload(message_payload(card)))
    assert size <= MAX_PAYLOAD_BYTES
    shown = sum(1 for element in card["body"] if element["type"] == "Container")
    assert 1 <= shown < 400
    assert f"and {400 - shown} more alerts" in card["body"][-1]["text"]
    assert "400 regulatory alerts" in card["body"][0]["text"]


def test_a_smaller_budget_gives_a_smaller_burst():
    alerts = [make_alert(n) for n in range(20)]
    big = burst_card(alerts)
    small = burst_card(alerts, max_bytes=6_000)
    assert len(encode_payload(message_payload(small))) <= 6_000
    assert len(small["body"]) < len(big["body"])
    assert "more alerts" in small["body"][-1]["text"]


def test_compact_cards_are_smaller():
    alert = make_alert(summary=LONG)
    assert len(json.dumps(alert_card(alert, compact=True))) < len(json.dumps(alert_card(alert)))


def test_burst_heading_counts_new_and_updated():
    alerts = [make_alert(1), make_alert(2, action="update"), make_alert(3), make_alert(4)]
    assert card_texts(burst_card(alerts))[1] == "4 regulatory alerts (3 new, 1 updated)"


def test_digest_groups_by_first_topic():
    alerts = [
        make_alert(1, topics=(TopicMatch("e911", "kw"),)),
        make_alert(2),
        make_alert(3, topics=()),
        make_alert(4, topics=(TopicMatch("e911", "kw"),)),
    ]
    texts = [visible(t) for t in card_texts(digest_card(alerts))]
    headings = [t for t in texts if t.endswith(")") and "(" in t and "Order" not in t]
    assert headings == ["calea (1)", "e911 (2)", "Other (1)"]
    assert texts[1] == "Daily digest: 4 alerts"


def test_plain_replies_are_text_messages_and_rich_ones_cards():
    plain = reply_message(error_reply("Unknown topic “<at>x</at>”.", usage="subscribe <topic>"))
    assert plain["type"] == "message" and "attachments" not in plain
    assert not inert_problems(plain["text"].split("\n\n")[0])
    assert "Usage: subscribe <\u200btopic>" in plain["text"]
    rich = reply_message(_full_reply())
    card = rich["attachments"][0]["content"]
    assert rich["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert_valid_card(card)
    assert [a["type"] for a in card["actions"]] == ["Action.OpenUrl"]
    assert any("search --page 2 calea" in t for t in card_texts(card))


def test_reply_with_only_a_text_field_is_escaped():
    message = reply_message(Reply(text=ALL_HOSTILE))
    assert not inert_problems(message["text"])


def test_a_reply_with_many_items_says_how_many_are_hidden():
    card = reply_card(_full_reply(200))
    containers = sum(1 for e in card["body"] if e["type"] == "Container")
    assert any(f"and {200 - containers} more results" in t for t in card_texts(card))


def test_cards_do_not_share_state_between_calls():
    alert = make_alert()
    first = alert_card(alert)
    first["body"].clear()
    assert alert_card(alert)["body"]
    assert dataclasses.asdict(alert) == dataclasses.asdict(make_alert())
