"""Who may run admin commands (`feeds add`, `feeds remove`) from Slack.

CALEA_BOT_ADMINS, when set, is the whole list (comma-separated Slack user ids). Otherwise
workspace admins and owners qualify, as users.info reports them (scope users:read); answers
are cached for a few minutes, and a failed look-up means "not an admin".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient

from bot.sinks.slack.errors import classify

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0


class AdminPolicy:
    """Decides whether a Slack user is a calea-bot admin."""

    def __init__(
        self,
        client: WebClient,
        admins: frozenset[str] | None = None,
        *,
        workspace_team: Callable[[], str | None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.admins = admins
        self._workspace_team = workspace_team
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def is_admin(
        self, user_id: str, *, client: WebClient | None = None, team: str | None = None
    ) -> bool:
        """True for listed admins, or (without a list) this workspace's admins and owners.

        An admin of another workspace (a Slack Connect guest) is not an admin here: the user's
        team id must be the workspace's (`team`, else the installed one). Installed in many
        workspaces, `client` carries the asking workspace's token.
        """
        if self.admins is not None:
            return user_id in self.admins
        team = team or self._workspace_team()
        key = (team or "", user_id)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            user = (client or self.client).users_info(user=user_id).get("user") or {}
        except Exception as exc:  # noqa: BLE001 - unknown means not an admin
            log.warning("users.info for %s failed (%s)", user_id, classify(exc, where="").error)
            return False
        answer = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        if team and user.get("team_id") != team:
            answer = False
        with self._lock:
            self._cache[key] = (now, answer)
        return answer
