"""What a failed Slack Web API call means for delivery: retry, pause the channel, or give up.

`classify(exc)` turns whatever the Web API client raised into a `Failure`: the outcome status
for `DeliveryOutcome`, a readable detail (never a token) and a Retry-After when Slack gave one.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

#: Errors that make the channel itself unusable until a person acts: the destination pauses.
PAUSE_ERRORS: dict[str, str] = {
    "channel_not_found": (
        "the channel no longer exists, or it is private and the bot is not in it "
        "(invite it with /invite @calea-bot)"
    ),
    "not_in_channel": "the bot is not in this channel (invite it with /invite @calea-bot)",
    "is_archived": "the channel is archived",
    "account_inactive": "the bot user was deactivated; reinstall the Slack app",
    "token_revoked": "the bot token was revoked; reinstall the app and update SLACK_BOT_TOKEN",
    "token_expired": "the bot token expired; reinstall the app and update SLACK_BOT_TOKEN",
    "invalid_auth": "Slack rejected SLACK_BOT_TOKEN; check it or reinstall the app",
    "not_authed": "no bot token was sent; set SLACK_BOT_TOKEN",
    "missing_scope": "the app lacks a scope (chat:write); reinstall it from the manifest",
    "no_permission": "the bot is not allowed to post here",
    "restricted_action": "a workspace setting stops the bot from posting in this channel",
    "restricted_action_read_only_channel": "the channel is read-only",
    "restricted_action_non_threadable_channel": "the channel does not allow threads",
    "restricted_action_thread_only_channel": "the channel only allows thread replies",
    "team_access_not_granted": "the token is not granted access to this workspace",
    "ekm_access_denied": "an administrator suspended the bot's access (EKM)",
    "access_denied": "access to this channel was denied",
    "team_not_found": "the workspace no longer exists",
}

#: Errors about this one payload: retried once as plain text, then the alert fails.
PAYLOAD_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_blocks_too_long",
        "msg_too_long",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "metadata_must_be_sent_from_app",
        "invalid_arguments",
        "no_text",
        "too_many_attachments",
    }
)

#: chat.update errors after which the update is posted as a new threaded message instead.
EDIT_IMPOSSIBLE_ERRORS = frozenset(
    {"message_not_found", "cant_update_message", "edit_window_closed", "thread_not_found"}
)

#: When Slack says "slow down" without saying for how long.
DEFAULT_RETRY_AFTER = 30.0


@dataclass(frozen=True)
class Failure:
    """A failed call: `status` is "retry", "pause" or "failed" (as in DeliveryOutcome)."""

    status: str
    error: str
    detail: str
    retry_after_seconds: float | None = None
    transient: bool = False  # an outage or a rate limit, as opposed to an unexplained error

    @property
    def stops_channel(self) -> bool:
        """True when nothing more should be sent to this channel in this round."""
        return self.status in ("retry", "pause")


def _header(headers: object, name: str) -> str | None:
    if not isinstance(headers, dict):
        return None
    for key, value in headers.items():
        if str(key).lower() == name:
            return value[0] if isinstance(value, list) and value else str(value)
    return None


def _retry_after(headers: object) -> float:
    raw = _header(headers, "retry-after")
    try:
        return max(1.0, float(raw)) if raw is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


def error_code(exc: SlackApiError) -> str:
    """The Web API's `error` string ("channel_not_found"), or "http_<status>" without one."""
    data = exc.response.data if exc.response is not None else None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        code = data["error"]
        if not code.startswith("Received a response in a non-JSON format"):
            return code
    status = exc.response.status_code if exc.response is not None else 0
    return f"http_{status}"


def classify(exc: Exception, *, where: str) -> Failure:
    """What an exception from a Web API call means. `where` names the channel for messages."""
    if not isinstance(exc, SlackApiError):
        # Connection refused, DNS, TLS, timeouts (urllib/socket errors) and client bugs.
        reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
        return Failure(
            "retry", "connection", f"could not reach Slack ({reason[:200]})", transient=True
        )
    code = error_code(exc)
    status = exc.response.status_code if exc.response is not None else 0
    if status == 429 or code in ("ratelimited", "rate_limited"):
        seconds = _retry_after(exc.response.headers if exc.response is not None else None)
        return Failure("retry", code, f"Slack rate limit in {where}", seconds, transient=True)
    if code in PAUSE_ERRORS:
        hint = PAUSE_ERRORS[code]
        return Failure("pause", code, f"Slack refused to post in {where} ({code}): {hint}")
    if code in PAYLOAD_ERRORS:
        return Failure("failed", code, f"Slack rejected the message for {where} ({code})")
    if status >= 500 or code in ("internal_error", "fatal_error", "service_unavailable"):
        return Failure(
            "retry", code, f"Slack is failing ({code}); retrying with backoff", transient=True
        )
    return Failure("retry", code, f"Slack error in {where} ({code})")
