"""Slack installations (slack_sdk's InstallationStore) in the bot's own database.

Bolt saves one here when a workspace installs the app through OAuth, finds one for every
request, and the Slack sink finds each destination's workspace's bot token here. Tokens (bot,
user and refresh tokens) are encrypted with CALEA_BOT_TOKEN_KEY (see token_cipher); the other
fields are kept as JSON. Look-ups by a workspace's team id; org-wide (Enterprise Grid)
installations by enterprise id with team ''.

The repository has its own lock: Bolt's listener threads and delivery use it at once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from typing import Any

import sqlite_utils
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore

from bot.store.database import transaction
from bot.store.token_cipher import TokenCipher

log = logging.getLogger(__name__)

_BOT_SECRETS = ("bot_token", "bot_refresh_token")
_SECRETS = (*_BOT_SECRETS, "user_token", "user_refresh_token")


def _plain(values: dict[str, Any]) -> str:
    """The non-secret fields as JSON (datetimes as POSIX timestamps: whole seconds for the
    expiries, as slack_sdk reads them back)."""
    data = {}
    for key, value in values.items():
        if key in _SECRETS:
            continue
        if isinstance(value, dt.datetime):
            value = int(value.timestamp()) if key.endswith("expires_at") else value.timestamp()
        data[key] = value
    return json.dumps(data, sort_keys=True)


def _keys(enterprise_id: str | None, team_id: str | None, org_wide: bool | None) -> tuple:
    """(enterprise, team) as stored: '' for none; an org-wide install has no team."""
    return (enterprise_id or "", "" if org_wide else (team_id or ""))


class SlackInstallations(InstallationStore):
    """Installations and bots of one Slack app (client id), tokens encrypted at rest."""

    def __init__(self, db: sqlite_utils.Database, cipher: TokenCipher, client_id: str) -> None:
        self.db = db
        self.cipher = cipher
        self.client_id = client_id
        self._lock = threading.RLock()  # find_installation calls find_bot

    @property
    def logger(self) -> logging.Logger:
        """The logger slack_sdk expects a store to have."""
        return log

    # -- writing ------------------------------------------------------------------------------

    def save(self, installation: Installation) -> None:
        """Keep an installation (one per workspace and installing user) and its bot."""
        enterprise, team = _keys(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        secrets = [self.cipher.encrypt(getattr(installation, name)) for name in _SECRETS]
        with self._lock, transaction(self.db):
            self.db.execute(
                "INSERT INTO slack_installations (client_id, enterprise_id, team_id, user_id, "
                "data, bot_token, bot_refresh_token, user_token, user_refresh_token, "
                "installed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (client_id, enterprise_id, team_id, user_id) DO UPDATE SET "
                "data = excluded.data, bot_token = excluded.bot_token, "
                "bot_refresh_token = excluded.bot_refresh_token, "
                "user_token = excluded.user_token, "
                "user_refresh_token = excluded.user_refresh_token, "
                "installed_at = excluded.installed_at",
                [
                    self.client_id,
                    enterprise,
                    team,
                    installation.user_id or "",
                    _plain(installation.to_dict_for_copying()),
                    *secrets,
                    installation.installed_at,
                ],
            )
        if installation.bot_token is not None:
            self.save_bot(installation.to_bot())

    def save_bot(self, bot: Bot) -> None:
        """Keep a workspace's bot (replacing the one before)."""
        enterprise, team = _keys(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        with self._lock, transaction(self.db):
            self.db.execute(
                "INSERT INTO slack_bots (client_id, enterprise_id, team_id, data, bot_token, "
                "bot_refresh_token, installed_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (client_id, enterprise_id, team_id) DO UPDATE SET "
                "data = excluded.data, bot_token = excluded.bot_token, "
                "bot_refresh_token = excluded.bot_refresh_token, "
                "installed_at = excluded.installed_at",
                [
                    self.client_id,
                    enterprise,
                    team,
                    _plain(bot.to_dict_for_copying()),
                    self.cipher.encrypt(bot.bot_token),
                    self.cipher.encrypt(bot.bot_refresh_token),
                    bot.installed_at,
                ],
            )

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget a workspace's bot."""
        where, params = self._where(enterprise_id, team_id)
        with self._lock, transaction(self.db):
            self.db.execute(f"DELETE FROM slack_bots WHERE {where}", params)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Forget a workspace's installations (one user's, when `user_id` is given)."""
        where, params = self._where(enterprise_id, team_id)
        if user_id is not None:
            where += " AND user_id = ?"
            params.append(user_id)
        with self._lock, transaction(self.db):
            self.db.execute(f"DELETE FROM slack_installations WHERE {where}", params)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget everything about a workspace: its bot and every installation."""
        self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    # -- reading ------------------------------------------------------------------------------

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """A workspace's bot (its token decrypted), or None when it is not installed."""
        where, params = self._where(enterprise_id, team_id, is_enterprise_install)
        with self._lock:
            rows = list(self.db.query(f"SELECT * FROM slack_bots WHERE {where}", params))
        if not rows:
            return None
        row = rows[0]
        data = json.loads(row["data"])
        data["bot_scopes"] = data.get("bot_scopes") or ""
        return Bot(
            **data,
            bot_token=self.cipher.decrypt(row["bot_token"]),
            bot_refresh_token=self.cipher.decrypt(row["bot_refresh_token"]),
        )

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """A workspace's installation: one user's, or the latest; it carries the current bot."""
        where, params = self._where(enterprise_id, team_id, is_enterprise_install)
        if user_id is not None:
            where += " AND user_id = ?"
            params.append(user_id)
        with self._lock:
            rows = list(
                self.db.query(
                    f"SELECT * FROM slack_installations WHERE {where} "
                    "ORDER BY installed_at DESC, id DESC LIMIT 1",
                    params,
                )
            )
        if not rows:
            return None
        row = rows[0]
        data = json.loads(row["data"])
        data.update({name: self.cipher.decrypt(row[name]) for name in _SECRETS})
        installation = Installation(**data)
        bot = self.find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is not None and bot.bot_token != installation.bot_token:
            installation.bot_token = bot.bot_token  # a later install or a rotation
            installation.bot_id = bot.bot_id
            installation.bot_user_id = bot.bot_user_id
            installation.bot_scopes = bot.bot_scopes
            installation.bot_refresh_token = bot.bot_refresh_token
            installation.bot_token_expires_at = bot.bot_token_expires_at
        return installation

    def team_ids(self) -> list[str]:
        """Workspaces with a bot installed, by team id."""
        with self._lock:
            rows = self.db.execute(
                "SELECT team_id FROM slack_bots WHERE client_id = ? AND team_id != '' "
                "ORDER BY team_id",
                [self.client_id],
            ).fetchall()
        return [row[0] for row in rows]

    def check_key(self) -> None:
        """Decrypt one stored token: TokenKeyError now rather than at the first alert."""
        with self._lock:
            row = self.db.execute(
                "SELECT bot_token FROM slack_bots WHERE client_id = ? AND bot_token IS NOT NULL "
                "LIMIT 1",
                [self.client_id],
            ).fetchone()
        if row is not None:
            self.cipher.decrypt(row[0])

    def _where(
        self, enterprise_id: str | None, team_id: str | None, org_wide: bool | None = False
    ) -> tuple[str, list]:
        """Rows of this app for a workspace (by team id) or an org-wide install."""
        enterprise, team = _keys(enterprise_id, team_id, org_wide)
        if team:
            return "client_id = ? AND team_id = ?", [self.client_id, team]
        return "client_id = ? AND enterprise_id = ? AND team_id = ''", [self.client_id, enterprise]
