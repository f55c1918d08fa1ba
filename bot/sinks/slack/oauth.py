"""Installing calea-bot in many Slack workspaces: Bolt's OAuth flow over the bot's database.

Set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET and CALEA_BOT_TOKEN_KEY, and
no SLACK_BOT_TOKEN. Then:

- GET /slack/install hands the installer an "Add to Slack" page whose link carries a fresh
  `state` (single use, ten minutes; also set as a cookie of that browser);
- GET /slack/oauth_redirect checks the state (cookie and database), exchanges the code with
  oauth.v2.access (at SLACK_API_URL) and saves the installation, tokens encrypted
  (bot.store.slack_installs); a reinstall resumes the workspace's channels paused by an
  uninstall (bot.sinks.slack.reasons).

Bolt's own machinery does the work (OAuthSettings, OAuthFlow, InstallationStore); this module
wires it to the bot's database and gives delivery each workspace's client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.settings import SlackSettings
from bot.store.database import open_database
from bot.store.slack_installs import SlackInstallations
from bot.store.slack_oauth_states import SlackOAuthStates
from bot.store.token_cipher import TokenCipher

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
#: The bot scopes requested at install: the same as the manifests' (see manifest.yaml).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "channels:history",
    "groups:history",
    "channels:join",
)
ROTATE_MINUTES_BEFORE_EXPIRY = 120


@dataclass
class OAuthParts:
    """What multi-workspace mode runs on: the stores (own connections) and Bolt's settings."""

    installs: SlackInstallations
    states: SlackOAuthStates
    settings: OAuthSettings

    def close(self) -> None:
        """Close the stores' database connections."""
        self.installs.db.close()
        self.states.db.close()


def build_oauth(
    settings: SlackSettings, db_path: Path | str, on_installed: Callable[[str], object]
) -> OAuthParts:
    """The installation and state stores on `db_path`, and Bolt's OAuthSettings over them.

    `on_installed(team_id)` runs after a workspace's installation was saved.
    """
    installs = SlackInstallations(
        open_database(db_path), TokenCipher(settings.token_keys), settings.client_id
    )
    states = SlackOAuthStates(open_database(db_path))

    def success(args: SuccessArgs) -> BoltResponse:
        team = args.installation.team_id or args.installation.enterprise_id or ""
        log.info("Slack: installed in workspace %s (%s)", args.installation.team_name, team)
        on_installed(team)
        return args.default.success(args)

    def failure(args: FailureArgs) -> BoltResponse:
        log.warning("Slack: an OAuth install was refused (%s)", args.reason)
        return args.default.failure(args)

    oauth_settings = OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installs,
        state_store=states,
        callback_options=CallbackOptions(success=success, failure=failure),
        logger=log,
    )
    return OAuthParts(installs, states, oauth_settings)


class WorkspaceClients:
    """Delivery's client for a workspace, with its stored (decrypted) bot token.

    Calls return None when the workspace has no installation; a token near its expiry (token
    rotation enabled) is refreshed and saved first.
    """

    def __init__(
        self, installs: SlackInstallations, settings: SlackSettings, timeout: int = 15
    ) -> None:
        self.installs = installs
        self.api_url = settings.api_url
        self.timeout = timeout
        self.rotator = TokenRotator(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            client=WebClient(base_url=settings.api_url, timeout=timeout),
        )

    def __call__(self, workspace: str) -> WebClient | None:
        """The workspace's client, or None when it is not installed (or unknown)."""
        if not workspace:
            return None
        bot = self.installs.find_bot(enterprise_id=None, team_id=workspace)
        if bot is None or not bot.bot_token:
            return None
        if bot.bot_token_expires_at is not None and bot.bot_refresh_token:
            try:
                refreshed = self.rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE_EXPIRY
                )
            except Exception as exc:  # noqa: BLE001 - Slack answers for the old token instead
                reason = type(exc).__name__
                log.warning("Slack: token rotation for %s failed (%s)", workspace, reason)
                refreshed = None
            if refreshed is not None:
                self.installs.save_bot(refreshed)
                bot = refreshed
        return WebClient(token=bot.bot_token, base_url=self.api_url, timeout=self.timeout)
