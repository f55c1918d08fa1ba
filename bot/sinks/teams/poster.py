"""Posting one payload to a Workflows webhook, and what its answer means for delivery.

The webhook URL is a credential, so this module talks to httpx's transport directly: httpx's
Client logs every request URL at INFO level, which would put the `sig=` secret in the logs.
Redirects are never followed and nothing from the URL reaches an error message.
"""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import httpx

from bot.common.retry_after import parse_retry_after

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "calea-bot (Teams Workflows sink)"


@dataclass(frozen=True)
class PostResult:
    """The answer to one post: an HTTP status, or None with a (scrubbed) network error."""

    status_code: int | None
    retry_after_seconds: float | None = None
    error: str = ""


@dataclass(frozen=True)
class Verdict:
    """What a post's result means: sent, retry, pause, too_large or failed, and why."""

    kind: str  # "sent" | "retry" | "pause" | "too_large" | "failed"
    detail: str
    retry_after_seconds: float | None = None


def scrub(message: str, url: str) -> str:
    """`message` with the URL, its path, its query and each query value replaced by "…"."""
    parts = urlsplit(url)
    secrets = {url, parts.path, parts.query, parts.path + "?" + parts.query}
    secrets.update(value for _, value in parse_qsl(parts.query))
    try:
        normalised = httpx.URL(url)
        secrets.update({str(normalised), normalised.path, normalised.query.decode("ascii")})
    except Exception:  # noqa: BLE001, S110 - an unparseable URL has no normalised form
        pass
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) > 3:
            message = message.replace(secret, "…")
    return message


class WorkflowsPoster:
    """Posts JSON bodies to webhook URLs with timeouts; never raises for network trouble."""

    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
        proxy: str | None = None,
        no_proxy: tuple[str, ...] = (),
    ) -> None:
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self._transport = transport or httpx.HTTPTransport(retries=0)
        # HTTPS_PROXY (from the settings), like feeds (httpx trust_env) and Slack (slack_sdk).
        self._proxied = httpx.HTTPTransport(retries=0, proxy=proxy) if proxy else None
        self._no_proxy = no_proxy

    def _transport_for(self, url: str) -> httpx.BaseTransport:
        host = (urlsplit(url).hostname or "").lower()
        if self._proxied is None or any(
            entry == "*" or host == entry or host.endswith("." + entry) for entry in self._no_proxy
        ):
            return self._transport
        return self._proxied

    def post(self, url: str, body: bytes) -> PostResult:
        """POST `body` (JSON) to `url`; the status and Retry-After, or a network error."""
        try:
            request = httpx.Request(
                "POST",
                url,
                content=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
                extensions={"timeout": self._timeout.as_dict()},
            )
            response = self._transport_for(url).handle_request(request)
            try:
                received = 0
                for chunk in response.iter_raw():
                    received += len(chunk)
                    if received > MAX_RESPONSE_BYTES:
                        break
            finally:
                response.close()
        except Exception as exc:  # noqa: BLE001 - its text may carry the URL: never let it out
            reason = scrub(str(exc), url) or "no details"
            return PostResult(None, error=f"{type(exc).__name__}: {reason}")
        retry_after = parse_retry_after(
            response.headers.get("retry-after"), dt.datetime.now(dt.UTC)
        )
        return PostResult(response.status_code, retry_after)

    def close(self) -> None:
        """Close pooled connections."""
        self._transport.close()
        if self._proxied is not None:
            self._proxied.close()


def judge(result: PostResult, *, where: str, default_retry_seconds: float = 60.0) -> Verdict:
    """Turn a post's result into a delivery verdict; `where` names the channel for messages.

    202/200 → sent; 429, 5xx, 408 and network errors → retry; 400/401/403/404 → pause (the
    workflow is broken, an admin must act); 413 → too_large; anything else → failed.
    """
    status = result.status_code
    if status is None:
        return Verdict("retry", f"could not reach the workflow for {where}: {result.error}", None)
    if 200 <= status < 300:
        return Verdict("sent", f"accepted ({status})")
    if status == 429:
        wait = result.retry_after_seconds
        return Verdict(
            "retry", f"Teams rate limit (429) for {where}", wait or default_retry_seconds
        )
    if status >= 500 or status == 408:
        return Verdict(
            "retry",
            f"the workflow for {where} failed ({status}); retrying",
            result.retry_after_seconds,
        )
    if status == 413:
        return Verdict("too_large", f"Teams refused the message for {where} as too large (413)")
    fix = (
        f"copy the trigger URL from the Workflow (Power Automate → the flow → "
        f"'When a Teams webhook request is received') and run "
        f"`calea-bot teams add-channel {shlex.quote(where)} URL --replace`"
    )
    if status == 400:
        return Verdict(
            "pause",
            f"the workflow for {where} rejected the request (400 Bad Request): check the flow's "
            f"run history and its 'Post card in a chat or channel' step, then {fix}",
        )
    if status in (401, 403):
        return Verdict(
            "pause",
            f"the workflow URL for {where} was refused ({status}): the flow may be turned off, "
            f"or its URL was regenerated; turn it on, or {fix}",
        )
    if status == 404:
        return Verdict(
            "pause",
            f"the workflow for {where} no longer exists (404): recreate it and {fix}",
        )
    if 300 <= status < 400:
        return Verdict("pause", f"the workflow URL for {where} redirects ({status}); {fix}")
    return Verdict("failed", f"the workflow for {where} answered {status}")
