"""Which Slack workspace the bot token belongs to (auth.test), and refusing the others.

`identify_workspace` is the startup check: a missing, wrong or revoked token, or an
unreachable API, becomes one `ConfigError` sentence instead of a traceback. The token itself
never appears in a message or a log line.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import ConfigError
from bot.sinks.slack.errors import error_code

_TOKEN_HINTS = {
    "invalid_auth": "use the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page",
    "not_authed": "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…)",
    "token_revoked": "the token was revoked; reinstall the app and copy the new token",
    "token_expired": "the token expired; reinstall the app or turn token rotation off",
    "account_inactive": "the bot user was deactivated; reinstall the app",
    "team_access_not_granted": "the token has no access to this workspace",
}


@dataclass(frozen=True)
class Workspace:
    """The workspace the bot is installed in, as auth.test reports it."""

    team_id: str
    team_name: str
    bot_user_id: str
    enterprise_id: str | None = None

    def accepts(self, team_id: str | None, enterprise_id: str | None) -> bool:
        """True when a request from (team_id, enterprise_id) is for this installation."""
        if team_id and team_id == self.team_id:
            return True
        return bool(self.enterprise_id) and enterprise_id == self.enterprise_id


def identify_workspace(client: WebClient) -> Workspace:
    """Call auth.test; ConfigError with a clear sentence when Slack refuses or is unreachable."""
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        code = error_code(exc)
        hint = _TOKEN_HINTS.get(code, "check the token and the app's installation")
        raise ConfigError(f"SLACK_BOT_TOKEN was rejected by Slack ({code}): {hint}.") from None
    except Exception as exc:  # noqa: BLE001 - DNS, TLS, refused connection, timeouts
        raise ConfigError(
            f"Could not reach the Slack Web API at {client.base_url} to check SLACK_BOT_TOKEN "
            f"({type(exc).__name__}: {exc}). Check network access (or SLACK_API_URL)."
        ) from None
    return Workspace(
        team_id=str(response.get("team_id") or ""),
        team_name=str(response.get("team") or ""),
        bot_user_id=str(response.get("user_id") or ""),
        enterprise_id=response.get("enterprise_id") or None,
    )
