"""Block Kit building blocks within Slack's limits, fed only with already-escaped mrkdwn.

The limits come from Slack's documentation (and slack_sdk.models.blocks, which the tests use
to validate every payload): 50 blocks per message (100 on App Home), section text ≤ 3000
characters, ≤ 10 fields of ≤ 2000, headers ≤ 150, button text ≤ 75, button value ≤ 2000.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from bot.models import ListEntry
from bot.sinks.slack.mrkdwn import escaped, link, single_line, tidy, truncate_plain

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
#: Slack has refused messages with about 13 KB of blocks (msg_blocks_too_long); stay below.
MAX_MESSAGE_BYTES = 12_000
MAX_FALLBACK_TEXT = 3000

TITLE_LIMIT = 300
ENTRY_SUMMARY_LIMIT = 280
ENTRY_URL_LIMIT = 1000


def mrkdwn(text: str) -> dict:
    """A mrkdwn text object; verbatim, so Slack adds no links or mentions of its own."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def cut_markup(text: str, limit: int) -> str:
    """Last-resort cut of escaped mrkdwn, never inside an `&…;` entity or a `<…>` sequence."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[: cut.rfind("&")]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    return cut.rstrip() + "…"


def section(text: str) -> dict:
    """A section block of escaped mrkdwn (cut to 3000 characters)."""
    return {"type": "section", "text": mrkdwn(cut_markup(text, MAX_SECTION_TEXT))}


def fields_section(fields: Sequence[str]) -> dict:
    """A section of up to 10 escaped mrkdwn fields of up to 2000 characters."""
    return {
        "type": "section",
        "fields": [mrkdwn(cut_markup(f, MAX_FIELD_TEXT)) for f in fields[:MAX_FIELDS]],
    }


def context(*texts: str) -> dict:
    """A context block (small grey text) of escaped mrkdwn."""
    elements = [mrkdwn(cut_markup(t, MAX_SECTION_TEXT)) for t in texts[:MAX_CONTEXT_ELEMENTS]]
    return {"type": "context", "elements": elements}


def header(text: str) -> dict:
    """A header block. Plain text is never parsed for mentions or links."""
    plain = truncate_plain(single_line(text), MAX_HEADER_TEXT) or "calea-bot"
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": True}}


def button(label: str, action_id: str, *, url: str | None = None, value: str | None = None) -> dict:
    """A button that opens `url` (pass only safe_url() results) or sends `value` to the app."""
    element: dict = {
        "type": "button",
        "text": {
            "type": "plain_text",
            "text": truncate_plain(single_line(label), MAX_BUTTON_TEXT) or "Open",
            "emoji": True,
        },
        "action_id": action_id,
    }
    if url is not None:
        element["url"] = url
    if value is not None:
        element["value"] = value[:MAX_BUTTON_VALUE]
    return element


def actions(elements: Sequence[dict]) -> dict:
    """An actions block of up to 25 elements."""
    return {"type": "actions", "elements": list(elements)[:MAX_ACTION_ELEMENTS]}


def message_size(blocks: Sequence[dict]) -> int:
    """Bytes of the blocks as compact UTF-8 JSON, what Slack's size limit applies to."""
    return len(json.dumps(list(blocks), ensure_ascii=False, separators=(",", ":")).encode())


def slack_date(moment: dt.datetime | None) -> str:
    """A timestamp Slack shows in each reader's time zone, with a UTC text fallback."""
    if moment is None:
        return "undated"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    fallback = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def escaped_list(values: Sequence[str], limit: int) -> str:
    """Untrusted values as one escaped, comma-separated line of at most `limit` characters."""
    return escaped(", ".join(single_line(v) for v in values if v), limit)


def entry_text(entry: ListEntry, *, with_summary: bool = True) -> str:
    """One list entry as escaped mrkdwn: the linked title, then source · date · topics · refs.

    An updated alert is marked "Updated:" (trusted); every field of the entry is untrusted.
    """
    prefix = "Updated: " if entry.marker == "UPDATED" else ""
    label = single_line(entry.title) or "(untitled)"
    url = entry.link
    shown_url = url if url and len(url) <= ENTRY_URL_LIMIT else None
    lines = [f"{prefix}*{link(shown_url, label, TITLE_LIMIT)}*"]
    facts = [escaped(single_line(entry.source), 120), slack_date(entry.published)]
    if entry.topics:
        facts.append(escaped_list(entry.topics, 200))
    if entry.references:
        facts.append(escaped_list(entry.references, 300))
    if entry.reason:
        facts.append(escaped(single_line(entry.reason), 200))
    lines.append(" · ".join(f for f in facts if f))
    brief = tidy(entry.summary) if with_summary else ""
    if brief:
        lines.append(escaped(brief, ENTRY_SUMMARY_LIMIT))
    return "\n".join(lines)
