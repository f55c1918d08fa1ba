"""What a chat command runs with: who asked, where, and the bot's services.

Adapters (Slack, Teams) build a `CommandContext` per invocation and one `CommandServices` per
process, then call `bot.commands.dispatch.run_command`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from bot.config import Config
from bot.feeds.guard import Resolver  # resolves like socket.getaddrinfo; injected in tests
from bot.pipeline.probe import ProbeResult
from bot.store import Store


@dataclass(frozen=True)
class CommandContext:
    """Who ran a command, in which channel, and when."""

    platform: str  # "slack" | "teams"
    channel: str  # platform channel id (Slack "C123…"; Teams conversation id)
    channel_name: str  # for display
    user_id: str
    user_name: str
    is_admin: bool  # the adapter decides (Slack: CALEA_BOT_ADMINS or workspace admin/owner)
    now: dt.datetime  # aware UTC
    # The tenant: the Slack team id the command came from ('' elsewhere); new destinations
    # belong to it. `isolated` (Slack installed in many workspaces): the command sees and
    # changes only this workspace's destinations, subscriptions, watches and audit entries.
    workspace: str = ""
    isolated: bool = False

    @property
    def scope(self) -> str | None:
        """The workspace look-ups are confined to, or None for all (one operator's bot)."""
        return self.workspace if self.isolated else None


@dataclass
class CommandServices:
    """The bot's state and helpers commands use. Commands never fetch feeds themselves."""

    config: Config
    store: Store  # its own connection
    probe_url: Callable[[str], Awaitable[ProbeResult]] | None = None  # used by `feeds add`
    digest_time: str = "08:00"  # local time of daily digests, for help text
    resolve_host: Resolver = socket.getaddrinfo  # `feeds add` checks where a URL points
    public_url: str | None = None  # CALEA_BOT_PUBLIC_URL: `calendar` links start with it
    # Told (platform, command name, seconds) after each command (metrics); None: nobody.
    observe_command: Callable[[str, str, float], object] | None = None
    # Entered around slow network work (`feeds add` resolving and probing a URL): an adapter
    # that serialises commands with a lock releases it there, so other commands keep running.
    outside_lock: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext
    subscribe_admins_only: bool = False  # CALEA_BOT_SUBSCRIBE_ADMINS_ONLY
