"""Reading a Teams outgoing-webhook activity: who wrote what, in which channel (pure).

Teams POSTs a Bot Framework message activity. Its `text` is HTML-ish:
`<at>calea</at>&nbsp;status calea` — the @mention of the webhook, maybe tags and entities.
`command_text` turns it into the plain command text `run_command` expects.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any

MAX_TEXT_CHARS = 4000

_MENTION = re.compile(r"<at\b[^>]*>.*?</at\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")
_COMMAND_PREFIX = re.compile(r"^/?calea(?:\s+|$)", re.IGNORECASE)


class ActivityError(ValueError):
    """The request body is not a usable Teams message activity (message says why)."""


@dataclass(frozen=True)
class TeamsMessage:
    """The parts of an outgoing-webhook activity the bot uses."""

    text: str  # command text: mention, tags and entities removed
    user_id: str  # from.id (29:…)
    user_aad_id: str  # from.aadObjectId ("" when absent)
    user_name: str
    conversation_id: str  # may end with ";messageid=…" (the thread)
    channel_id: str  # channelData.channel.id, else the conversation id without the thread
    team_id: str
    activity_id: str = ""  # the activity's id: a replayed request repeats it
    sent_at: dt.datetime | None = None  # the activity's timestamp (signed with the body)


def command_text(text: str) -> str:
    """The command typed after the @mention, as plain text (first `MAX_TEXT_CHARS` only).

    A leading "calea" or "/calea" is dropped too, so "@bot /calea status" works like Slack.
    """
    text = _MENTION.sub(" ", text[: MAX_TEXT_CHARS * 2])
    text = _TAG.sub(" ", text)
    text = html.unescape(text).replace("\xa0", " ")
    text = " ".join(text.split())
    text = _COMMAND_PREFIX.sub("", text, count=1)
    return text[:MAX_TEXT_CHARS]


def _field(data: Any, *path: str) -> str:
    for key in path:
        if not isinstance(data, dict):
            return ""
        data = data.get(key)
    return data.strip() if isinstance(data, str) else ""


def parse_activity(data: Any) -> TeamsMessage:
    """The message in an activity dict; ActivityError when it is not a channel message."""
    if not isinstance(data, dict):
        raise ActivityError("the body is not a JSON object")
    kind = _field(data, "type")
    if kind and kind != "message":
        raise ActivityError(f"only message activities are handled (got {kind[:40]!r})")
    conversation_id = _field(data, "conversation", "id")
    channel_id = _field(data, "channelData", "channel", "id") or conversation_id.split(";")[0]
    if not channel_id:
        raise ActivityError("the activity names no conversation or channel")
    raw_text = data.get("text")
    return TeamsMessage(
        text=command_text(raw_text if isinstance(raw_text, str) else ""),
        user_id=_field(data, "from", "id"),
        user_aad_id=_field(data, "from", "aadObjectId"),
        user_name=_field(data, "from", "name")[:200],
        conversation_id=conversation_id,
        channel_id=channel_id[:300],
        team_id=_field(data, "channelData", "team", "id"),
        activity_id=_field(data, "id")[:200],
        sent_at=_timestamp(_field(data, "timestamp")),
    )


def _timestamp(value: str) -> dt.datetime | None:
    """An ISO-8601 activity timestamp ("2025-11-21T17:00:00.123Z") as aware UTC, or None."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
