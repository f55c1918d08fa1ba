"""Can the bot post in the channel a command came from? Asked before a channel subscribes.

A private channel the bot was never invited to is invisible to it: conversations.history (the
manifest's channels:history / groups:history scopes) answers `channel_not_found` there, while a
public channel answers or says `not_in_channel` (chat:write.public posts there anyway). Any
other failure lets the command through: delivery reports real problems later.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

#: Commands that make a channel receive alerts (first word of the command text).
SUBSCRIBING = frozenset({"watch", "subscribe", "sub"})
NOT_A_MEMBER = (
    "calea-bot is not in this private channel, so it could not post alerts here. Invite it "
    "first with /invite @calea-bot, then run the command again. Nothing was changed."
)


def subscribes(text: str) -> bool:
    """True when the command would make this channel receive alerts."""
    words = text.split(maxsplit=1)
    return bool(words) and words[0].lower() in SUBSCRIBING


def invisible_private_channel(client: WebClient, channel: str) -> bool:
    """True only when Slack says the channel does not exist for the bot (private, not invited)."""
    try:
        client.conversations_history(channel=channel, limit=1)
    except SlackApiError as exc:
        return exc.response.get("error") == "channel_not_found"
    except Exception:  # noqa: BLE001 - a network hiccup must not block the command
        log.warning("could not check channel membership; letting the command through")
    return False
