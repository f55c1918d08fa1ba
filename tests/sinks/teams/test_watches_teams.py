"""Watches through the Teams outgoing webhook (HMAC-signed), and the Why fact on cards."""

from __future__ import annotations

import json

from bot.sinks.teams.cards import alert_card, digest_card
from tests.sinks.teams.card_checks import assert_valid_card
from tests.sinks.teams.helpers import make_alert
from tests.sinks.teams.test_webhook import activity, post, serve, services  # noqa: F401


def watch_labels(services) -> list[str]:  # noqa: F811
    destination = services.store.subscriptions.destination("teams", "alerts")
    return [w.label for w in services.store.watches.of(destination.id)]


def test_watch_commands_through_the_signed_webhook(serve, services):  # noqa: F811
    url = serve()
    reply = post(url, activity("<at>calea</at>&nbsp;watch docket PS Docket No. 22-329 daily"))
    assert reply.status_code == 200
    assert "watch docket PS 22-329" in json.dumps(reply.json())
    post(url, activity('<at>calea</at> watch "network security"'))
    assert watch_labels(services) == ["docket PS 22-329", '"network security"']
    listing = json.dumps(post(url, activity("<at>calea</at> watches")).json())
    assert "network security" in listing and "2 of 50 watches used" in listing


def test_bad_watch_input_is_answered_and_changes_nothing(serve, services):  # noqa: F811
    url = serve()
    post(url, activity("<at>calea</at> watch docket PS 22-329"))
    reply = post(url, activity("<at>calea</at> watch docket nonsense"))
    assert "is not one docket" in json.dumps(reply.json())
    assert watch_labels(services) == ["docket PS 22-329"]


def test_the_card_says_why_and_escapes_it():
    card = alert_card(make_alert(reason='watch: "[x](https://evil)"'))
    assert_valid_card(card)
    facts = [f for b in card["body"] if b.get("type") == "FactSet" for f in b["facts"]]
    [why] = [f["value"] for f in facts if f["title"] == "Why"]
    assert "](https://evil)" not in why and "watch:" in why


def test_grouped_cards_say_why_too():
    card = digest_card([make_alert(1, reason="watch: docket PS 22-329"), make_alert(2)])
    assert_valid_card(card)
    assert "Why: watch: docket PS 22-329" in json.dumps(card)
