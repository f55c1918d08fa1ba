"""Adaptive Card 1.4 building blocks, the message envelope and its size as posted.

Only elements and properties from Adaptive Cards 1.4 are produced (Teams renders up to 1.5;
Workflows and outgoing webhooks accept cards, not Bot Framework features), and only the actions
that work without a bot: Action.OpenUrl, Action.ShowCard and Action.ToggleVisibility. Text
arriving here must already be made inert by `bot.sinks.teams.markdown`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

CARD_VERSION = "1.4"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
#: Teams refuses messages above 28 KB (413 MessageSizeTooBig); stay a little below.
MAX_PAYLOAD_BYTES = 28_000
#: More buttons than this are hidden behind "…" by Teams clients.
MAX_ACTIONS = 5

Element = dict[str, Any]


def text_block(text: str, **style: Any) -> Element:
    """A wrapping TextBlock; `style` adds size/weight/isSubtle/spacing/separator/maxLines."""
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def fact_set(facts: Sequence[tuple[str, str]]) -> Element:
    """A FactSet from (title, value) pairs."""
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]}


def container(items: Sequence[Element], **style: Any) -> Element:
    """A Container grouping elements (one entry of a list, a section)."""
    return {"type": "Container", "items": list(items), **style}


def open_url(title: str, url: str) -> Element:
    """An Action.OpenUrl button (`url` must come from `urls.safe_link`)."""
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def adaptive_card(
    body: Sequence[Element], actions: Sequence[Element] = (), *, fallback_text: str = ""
) -> Element:
    """A top-level Adaptive Card, version 1.4."""
    card: Element = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": list(body),
    }
    if actions:
        card["actions"] = list(actions)[:MAX_ACTIONS]
    if fallback_text:
        card["fallbackText"] = fallback_text
    return card


def message_payload(card: Element) -> Element:
    """The message Workflows and outgoing webhooks accept: one Adaptive Card attachment."""
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def encode_payload(payload: Element) -> bytes:
    """The exact bytes posted: compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def payload_size(payload: Element) -> int:
    """Size in bytes of `payload` as posted."""
    return len(encode_payload(payload))
