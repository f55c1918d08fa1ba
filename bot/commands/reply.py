"""The platform-free reply model: what a command answers, before any chat renders it.

Commands build a `Reply` from these blocks; the Slack adapter renders it as Block Kit, the Teams
adapter as an Adaptive Card or text. Text the bot wrote itself is trusted; anything that came
from a feed or a user (titles, labels, error messages from servers, queries) is carried in
fields marked untrusted, and every renderer escapes those.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models import ListEntry


@dataclass(frozen=True)
class Heading:
    """A short title line (trusted text)."""

    text: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph. `untrusted=True` when any of it came from a feed or a user."""

    text: str
    untrusted: bool = False
    # (user id, name): a platform that can mention users replaces the leading name with a
    # mention of that id (Slack `<@U…>`); others show the text as it is.
    mention: tuple[str, str] | None = None


@dataclass(frozen=True)
class Facts:
    """Label → value pairs (labels trusted, values treated as untrusted)."""

    pairs: tuple[tuple[str, str], ...]


#: A stored item as a list entry (the shared list-entry model; every text field is untrusted).
ItemRef = ListEntry


@dataclass(frozen=True)
class Button:
    """An action: open a URL, or run a follow-up command (e.g. the next page of a search).

    Platforms that cannot run follow-up commands from a button (Teams webhooks) show the
    command as text instead.
    """

    label: str
    url: str | None = None
    command: str | None = None  # e.g. "search --page 2 calea rescind"


Block = Heading | Paragraph | Facts | ItemRef | Button


@dataclass(frozen=True)
class Reply:
    """A command's answer. `text` is the plain-text fallback and notification text."""

    text: str
    blocks: tuple[Block, ...] = ()
    in_channel: bool = False  # visible to the whole channel (default: only to the asker)
    ok: bool = True  # False for usage errors and refusals
    changed: bool = False  # True when the command changed state (subscriptions, feeds)
    extra: dict[str, object] = field(default_factory=dict)  # platform hints, rarely needed


def error_reply(message: str, *, usage: str | None = None) -> Reply:
    """A clear refusal: what was wrong, and how to use the command."""
    blocks: tuple[Block, ...] = (Paragraph(message, untrusted=True),)
    if usage:
        blocks += (Paragraph(f"Usage: {usage}"),)
    return Reply(text=message, blocks=blocks, ok=False)
