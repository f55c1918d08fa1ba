"""Installing through OAuth against the fake Slack: the real /slack/install and
/slack/oauth_redirect endpoints, oauth.v2.access on the fake, tokens encrypted in the database;
forged and replayed states refused; app_uninstalled / tokens_revoked pause and forget."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from bot.errors import ConfigError
from bot.settings import load_settings
from bot.sinks.slack import SlackIntegration
from bot.store.slack_oauth_states import SlackOAuthStates
from bot.store.token_cipher import TokenKeyError
from tests.fakes.slack_api import event_body
from tests.sinks.slack.many import Many, many_env

TOKEN_A = "xoxb-team-a-secret-token"
TOKEN_B = "xoxb-team-b-secret-token"


def _raw_rows(many: Many, table: str) -> list[dict]:
    return list(many.store.db.query(f"SELECT * FROM {table}"))


class TestInstall:
    def test_install_exchanges_the_code_and_stores_tokens_encrypted(self, many: Many) -> None:
        response = many.install("T0AAA", TOKEN_A)
        assert "Thank you" in response.text or "slack://" in response.text

        [exchange] = many.slack.calls("oauth.v2.access")
        assert exchange.token == f"{many.slack.client_id}:{many.slack.client_secret}"
        assert exchange.error is None
        bot = many.integration.oauth.installs.find_bot(enterprise_id=None, team_id="T0AAA")
        assert bot is not None and bot.bot_token == TOKEN_A and bot.team_id == "T0AAA"

        rows = _raw_rows(many, "slack_installations") + _raw_rows(many, "slack_bots")
        assert len(rows) == 2
        raw = json.dumps(rows)
        assert TOKEN_A not in raw  # encrypted at rest, in every column
        assert all(row["bot_token"].startswith("gAAAA") for row in rows)  # Fernet tokens

    def test_user_tokens_are_encrypted_too(self, many: Many) -> None:
        state, cookie = many.begin_install()
        code = many.slack.oauth_code("T0AAA", TOKEN_A, user_token="xoxp-installer-secret")
        assert many.redirect(code, state, cookie).status_code == 200
        assert "xoxp-installer-secret" not in json.dumps(_raw_rows(many, "slack_installations"))
        found = many.integration.oauth.installs.find_installation(
            enterprise_id=None, team_id="T0AAA", user_id="U0INSTALLER"
        )
        assert found.user_token == "xoxp-installer-secret" and found.bot_token == TOKEN_A

    def test_install_page_sets_a_state_cookie_for_slacks_authorize_url(self, many: Many) -> None:
        state, cookie = many.begin_install()
        assert state == cookie and len(state) >= 32
        [row] = _raw_rows(many, "slack_oauth_states")
        assert row["state"] == state


class TestStateRefused:
    def test_forged_state_is_refused_before_the_code_is_exchanged(self, many: Many) -> None:
        code = many.slack.oauth_code("T0EVIL", "xoxb-evil")
        response = many.redirect(code, "forged-state", "forged-state")
        assert response.status_code == 401
        assert many.slack.calls("oauth.v2.access") == []
        assert _raw_rows(many, "slack_bots") == []

    def test_replayed_state_is_refused(self, many: Many) -> None:
        state, cookie = many.begin_install()
        assert many.redirect(many.slack.oauth_code("T0AAA", TOKEN_A), state, cookie).is_success
        replay = many.redirect(many.slack.oauth_code("T0EVIL", "xoxb-evil"), state, cookie)
        assert replay.status_code == 401
        assert len(many.slack.calls("oauth.v2.access")) == 1
        assert [r["team_id"] for r in _raw_rows(many, "slack_bots")] == ["T0AAA"]

    def test_state_from_another_browser_is_refused(self, many: Many) -> None:
        state, _ = many.begin_install()
        response = many.redirect(many.slack.oauth_code("T0AAA", TOKEN_A), state, "other")
        assert response.status_code == 400
        assert many.slack.calls("oauth.v2.access") == []

    def test_states_expire_and_are_single_use(self, many: Many) -> None:
        now = [1000.0]
        states = SlackOAuthStates(many.store.db, expiration_seconds=600, clock=lambda: now[0])
        late, prompt = states.issue(), states.issue()
        assert states.consume(prompt) and not states.consume(prompt)
        now[0] += 601
        assert not states.consume(late)
        assert not states.consume("never-issued") and not states.consume("")


class TestUninstall:
    def subscribe(self, many: Many, team: str, channel: str) -> None:
        reply = many.command("subscribe calea", team_id=team, reply_to=team, channel_id=channel)
        assert "subscribed this channel" in reply["text"]

    def event(self, many: Many, team: str, event: dict) -> None:
        assert many.post(event_body(event, team_id=team), "application/json").status_code == 200

    def paused(self, many: Many, channel: str) -> str | None:
        return many.store.subscriptions.destination("slack", channel).paused_reason

    def test_uninstall_pauses_that_workspace_and_deletes_its_tokens(self, many: Many) -> None:
        many.install("T0AAA", TOKEN_A)
        many.install("T0BBB", TOKEN_B)
        self.subscribe(many, "T0AAA", "C0AAA")
        self.subscribe(many, "T0BBB", "C0BBB")

        self.event(many, "T0AAA", {"type": "app_uninstalled"})
        assert many.slack.wait_for(lambda: self.paused(many, "C0AAA") is not None)
        assert "app_uninstalled" in self.paused(many, "C0AAA")
        installs = many.integration.oauth.installs
        assert many.slack.wait_for(
            lambda: installs.find_bot(enterprise_id=None, team_id="T0AAA") is None
        )
        assert installs.find_installation(enterprise_id=None, team_id="T0AAA") is None
        assert self.paused(many, "C0BBB") is None
        assert installs.find_bot(enterprise_id=None, team_id="T0BBB").bot_token == TOKEN_B

        many.install("T0AAA", "xoxb-team-a-new-token")  # reinstalled: delivery resumes
        assert self.paused(many, "C0AAA") is None

    def test_bot_token_revocation_pauses_and_forgets(self, many: Many) -> None:
        many.install("T0AAA", TOKEN_A)
        self.subscribe(many, "T0AAA", "C0AAA")
        self.event(many, "T0AAA", {"type": "tokens_revoked", "tokens": {"bot": ["U0BOTT0AAA"]}})
        assert many.slack.wait_for(lambda: self.paused(many, "C0AAA") is not None)
        assert "tokens_revoked" in self.paused(many, "C0AAA")
        assert many.slack.wait_for(lambda: _raw_rows(many, "slack_bots") == [])

    def test_user_token_revocation_forgets_only_that_user(self, many: Many) -> None:
        state, cookie = many.begin_install()
        code = many.slack.oauth_code("T0AAA", TOKEN_A, user_token="xoxp-installer")
        many.redirect(code, state, cookie)
        self.subscribe(many, "T0AAA", "C0AAA")
        self.event(many, "T0AAA", {"type": "tokens_revoked", "tokens": {"oauth": ["U0INSTALLER"]}})
        assert many.slack.wait_for(lambda: _raw_rows(many, "slack_installations") == [])
        assert self.paused(many, "C0AAA") is None
        assert len(_raw_rows(many, "slack_bots")) == 1


class TestKeys:
    def test_a_wrong_key_is_one_clear_error_at_start(self, many: Many, services) -> None:
        many.install("T0AAA", TOKEN_A)
        other = Fernet.generate_key().decode()
        settings = load_settings(many_env(many.slack, key=other)).slack
        integration = SlackIntegration.from_settings(settings, services)
        try:
            with pytest.raises(TokenKeyError) as raised:
                integration.verify()
        finally:
            integration.stop()
        message = str(raised.value)
        assert "CALEA_BOT_TOKEN_KEY" in message and "\n" not in message
        assert TOKEN_A not in message

    def test_old_key_listed_second_still_decrypts(self, many: Many, services) -> None:
        many.install("T0AAA", TOKEN_A)
        old = many_env(many.slack)["CALEA_BOT_TOKEN_KEY"]
        keys = f"{Fernet.generate_key().decode()},{old}"
        integration = SlackIntegration.from_settings(
            load_settings(many_env(many.slack, key=keys)).slack, services
        )
        try:
            integration.verify()
            bot = integration.oauth.installs.find_bot(enterprise_id=None, team_id="T0AAA")
        finally:
            integration.stop()
        assert bot.bot_token == TOKEN_A

    def test_missing_key_says_how_to_make_one(self, many: Many) -> None:
        env = many_env(many.slack)
        del env["CALEA_BOT_TOKEN_KEY"]
        with pytest.raises(ConfigError) as raised:
            load_settings(env)
        assert "Fernet.generate_key()" in str(raised.value) and "\n" not in str(raised.value)


def test_distributed_manifest_matches_what_the_bot_asks_for() -> None:
    from pathlib import Path

    import yaml

    from bot.sinks.slack.oauth import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH

    root = Path(__file__).resolve().parents[3]
    manifest = yaml.safe_load((root / "slack" / "manifest-distributed.yaml").read_text())
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    single = yaml.safe_load((root / "bot" / "sinks" / "slack" / "manifest.yaml").read_text())
    assert single["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert [url.endswith(REDIRECT_PATH) for url in manifest["oauth_config"]["redirect_urls"]] == [
        True
    ]
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(events)
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert INSTALL_PATH == "/slack/install"
