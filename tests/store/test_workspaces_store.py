"""Destinations by workspace, and Slack installations encrypted at rest (real SQLite files)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation

from bot.store import Store
from bot.store.slack_installs import SlackInstallations
from bot.store.subscriptions import OtherWorkspaceChannel
from bot.store.token_cipher import TokenCipher, TokenKeyError

NOW = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)


class TestDestinations:
    def test_a_channel_belongs_to_the_workspace_that_created_it(self, store: Store) -> None:
        subs = store.subscriptions
        mine = subs.ensure_destination("slack", "C1", workspace="T0A", now=NOW)
        assert mine.workspace == "T0A"
        assert subs.ensure_destination("slack", "C1", workspace="T0A", now=NOW) == mine
        with pytest.raises(OtherWorkspaceChannel):
            subs.ensure_destination("slack", "C1", workspace="T0B", now=NOW)
        with pytest.raises(KeyError):
            subs.destination("slack", "C1", "T0B")
        assert subs.destination("slack", "C1", "T0A") == mine

    def test_unassigned_rows_are_claimed(self, store: Store) -> None:
        subs = store.subscriptions
        subs.ensure_destination("slack", "C1", now=NOW)
        subs.ensure_destination("slack", "C2", now=NOW)
        subs.ensure_destination("teams", "general", now=NOW)
        assert subs.ensure_destination("slack", "C1", workspace="T0A", now=NOW).workspace == "T0A"
        assert subs.claim_unassigned("slack", "T0A") == 1
        assert [d.workspace for d in subs.destinations(platform="slack")] == ["T0A", "T0A"]
        assert subs.destination("teams", "general").workspace == ""

    def test_pause_and_resume_a_workspace(self, store: Store) -> None:
        subs = store.subscriptions
        a = subs.ensure_destination("slack", "C1", workspace="T0A", now=NOW)
        dead = subs.ensure_destination("slack", "C2", workspace="T0A", now=NOW)
        b = subs.ensure_destination("slack", "C3", workspace="T0B", now=NOW)
        subs.pause(dead.id, "channel_not_found", now=NOW)
        assert subs.pause_workspace("slack", "T0A", "uninstalled (app_uninstalled)", now=NOW) == 1
        assert subs.destination("slack", "C3").paused_reason is None
        assert subs.resume_workspace("slack", "T0A", ["uninstalled"]) == 1
        assert subs.destination("slack", "C1").paused_reason is None
        assert subs.destination("slack", "C2").paused_reason == "channel_not_found"
        assert [d.id for d in subs.destinations(workspace="T0A")] == [a.id, dead.id]
        assert b.workspace == "T0B"

    def test_the_outbox_carries_the_workspace_to_the_sink(self, store: Store) -> None:
        destination = store.subscriptions.ensure_destination(
            "slack", "C1", workspace="T0A", now=NOW
        )
        store.db.execute(
            "INSERT INTO events (id, primary_item_id, created_at) VALUES (1, 1, ?)", ["x"]
        )
        store.db.execute(
            "INSERT INTO items (id, source_id, event_id, title, first_seen_at, last_changed_at, "
            "content_hash) VALUES (1, 's', 1, 't', 'x', 'x', 'h')"
        )
        store.db.execute(
            "INSERT INTO outbox (event_id, destination_id, action, revision, next_attempt_at, "
            "created_at) VALUES (1, ?, 'new', 1, '2000-01-01', '2000-01-01')",
            [destination.id],
        )
        [claimed] = store.outbox.claim_due(NOW, platforms=["slack"])
        assert claimed.destination.workspace == "T0A"


class TestInstallations:
    def installs(self, store: Store, *keys: str) -> SlackInstallations:
        return SlackInstallations(store.db, TokenCipher(keys), "1111.2222")

    def installation(self, team: str = "T0A", token: str = "xoxb-secret") -> Installation:
        return Installation(
            app_id="A1",
            team_id=team,
            team_name="Team",
            bot_token=token,
            bot_id="B1",
            bot_user_id="U0BOT",
            bot_scopes="chat:write,commands",
            bot_refresh_token="xoxe-refresh-secret",
            bot_token_expires_in=43200,
            user_id="U0ME",
            user_token="xoxp-user-secret",
        )

    def test_round_trip_with_tokens_encrypted(self, store: Store) -> None:
        key = Fernet.generate_key().decode()
        installs = self.installs(store, key)
        installs.save(self.installation())
        raw = str(list(store.db.query("SELECT * FROM slack_installations")))
        raw += str(list(store.db.query("SELECT * FROM slack_bots")))
        for secret in ("xoxb-secret", "xoxe-refresh-secret", "xoxp-user-secret"):
            assert secret not in raw
        found = installs.find_installation(enterprise_id=None, team_id="T0A")
        assert (found.bot_token, found.user_token) == ("xoxb-secret", "xoxp-user-secret")
        assert found.bot_scopes == ["chat:write", "commands"]
        assert found.bot_token_expires_at is not None
        bot = installs.find_bot(enterprise_id=None, team_id="T0A")
        assert bot.bot_refresh_token == "xoxe-refresh-secret" and bot.bot_user_id == "U0BOT"
        assert installs.team_ids() == ["T0A"]

    def test_reinstall_replaces_and_delete_forgets(self, store: Store) -> None:
        installs = self.installs(store, Fernet.generate_key().decode())
        installs.save(self.installation(token="xoxb-old"))
        installs.save(self.installation(token="xoxb-new"))
        installs.save(self.installation(team="T0B", token="xoxb-b"))
        assert installs.find_bot(enterprise_id=None, team_id="T0A").bot_token == "xoxb-new"
        installs.delete_all(enterprise_id=None, team_id="T0A")
        assert installs.find_bot(enterprise_id=None, team_id="T0A") is None
        assert installs.find_installation(enterprise_id=None, team_id="T0A") is None
        assert installs.find_bot(enterprise_id=None, team_id="T0B").bot_token == "xoxb-b"

    def test_a_wrong_key_is_a_clear_error(self, store: Store) -> None:
        self.installs(store, Fernet.generate_key().decode()).save(self.installation())
        other = self.installs(store, Fernet.generate_key().decode())
        with pytest.raises(TokenKeyError, match="CALEA_BOT_TOKEN_KEY"):
            other.find_bot(enterprise_id=None, team_id="T0A")
        with pytest.raises(TokenKeyError):
            other.check_key()
