"""calea-bot installed in many Slack workspaces, served on 127.0.0.1 against the fake Slack.

`many` runs SlackIntegration as SLACK_CLIENT_ID (no SLACK_BOT_TOKEN) configures it, its
routes (/slack/events, /slack/install, /slack/oauth_redirect) on a real uvicorn server;
`install` goes through the OAuth flow as a browser would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.commands.context import CommandServices
from bot.settings import load_settings
from bot.sinks.slack import SlackIntegration
from bot.store import Store
from tests.fakes.served import served
from tests.fakes.slack_api import FakeSlackApi, signed_headers, slash_command_body

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
FORM = "application/x-www-form-urlencoded"
KEY = Fernet.generate_key().decode()
COOKIE = "slack-app-oauth-state"


def many_env(slack: FakeSlackApi, key: str = KEY) -> dict[str, str]:
    """The environment of a multi-workspace install against the fake."""
    return {
        "SLACK_CLIENT_ID": slack.client_id,
        "SLACK_CLIENT_SECRET": slack.client_secret,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
        "CALEA_BOT_TOKEN_KEY": key,
    }


@dataclass
class Many:
    """The bot's endpoints, the fake Slack, and a second connection to the database."""

    base: str
    slack: FakeSlackApi
    integration: SlackIntegration
    store: Store

    def begin_install(self) -> tuple[str, str]:
        """GET /slack/install: the state in the page's Add-to-Slack link, and the cookie."""
        page = httpx.get(self.base + "/slack/install", timeout=5)
        assert page.status_code == 200, page.text
        state = re.search(r"[?&;]state=([^&\"']+)", page.text)
        assert state is not None, page.text
        return state.group(1), page.cookies[COOKIE]

    def redirect(self, code: str, state: str, cookie: str | None = None) -> httpx.Response:
        """Slack sending the installer back: GET /slack/oauth_redirect?code=…&state=…"""
        cookies = {COOKIE: cookie if cookie is not None else state}
        return httpx.get(
            self.base + "/slack/oauth_redirect",
            params={"code": code, "state": state},
            cookies=cookies,
            timeout=5,
        )

    def install(self, team_id: str, token: str) -> httpx.Response:
        """Install the app in a workspace through the whole OAuth flow."""
        state, cookie = self.begin_install()
        response = self.redirect(self.slack.oauth_code(team_id, token), state, cookie)
        assert response.status_code == 200, response.text
        return response

    def post(self, body: str, content_type: str) -> httpx.Response:
        """A signed request to /slack/events."""
        headers = signed_headers(SECRET, body, content_type=content_type)
        return httpx.post(self.base + "/slack/events", content=body.encode(), headers=headers)

    def command(self, text: str, *, team_id: str, reply_to: str, **fields: str) -> dict:
        """A signed /calea from a workspace; returns what it answered on its response_url."""
        count = len(self.slack.responses)
        url = self.slack.response_url(reply_to)
        body = slash_command_body(text, response_url=url, team_id=team_id, **fields)
        assert self.post(body, FORM).status_code == 200
        assert self.slack.wait_for(lambda: len(self.slack.responses) > count), "no reply"
        return self.slack.responses[count]


@pytest.fixture
def many(slack: FakeSlackApi, services: CommandServices, store: Store) -> Iterator[Many]:
    """SlackIntegration installed through OAuth, its routes live on an ephemeral port."""
    integration = SlackIntegration.from_settings(load_settings(many_env(slack)).slack, services)
    assert integration is not None and integration.oauth is not None
    integration.verify()
    reader = Store(store.target)
    try:
        with served(integration.routes()) as base:
            yield Many(base, slack, integration, reader)
    finally:
        reader.close()
        integration.stop()
