"""The few exception types a user or an operator can act on.

Source failures are not exceptions: they are `Health` states in a `FetchResult`. Exceptions are
for things a person must fix (configuration) or for a parse that produced nothing usable.
"""

from __future__ import annotations

from bot.models import Health


class CaleaBotError(Exception):
    """Base class: the message is shown to the user as-is, without a traceback."""


class ConfigError(CaleaBotError):
    """feeds.yaml or the environment is wrong. The message names the file, the key and the fix."""


class FeedParseError(CaleaBotError):
    """A response could not be turned into feed items.

    `health` is NOT_A_FEED (an HTML page, a challenge page, zero entries) or PARSE_ERROR.
    """

    def __init__(self, health: Health, message: str) -> None:
        super().__init__(health, message)
        self.health = health
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        # Raised in analysis worker processes: it must cross back whole (pickle).
        return (type(self), (self.health, self.message))
