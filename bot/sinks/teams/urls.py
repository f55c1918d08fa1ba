"""Which URLs the Teams adapter accepts: Workflows webhook URLs (credentials) and card links.

A Workflows URL carries its own credential (the `sig=` query parameter), so it is checked
before it is stored or posted to, and shown only masked (`mask_webhook_url`): scheme, host and
an ellipsis. Error messages built here never contain the URL itself.

Allowed hosts: https on *.logic.azure.com and *.environment.api.powerplatform.com. The
environment variable CALEA_BOT_TEAMS_ALLOWED_HOSTS (comma-separated) adds host suffixes, still
https only. An entry written with an explicit `http://` prefix (`http://127.0.0.1`) allows plain
http for exactly that host: this exists for tests and local development against a fake
endpoint, and is never implied by anything else. Programs (tests) pass the same entries through
`WebhookUrlPolicy.with_entries`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from bot.errors import ConfigError
from bot.settings import TeamsSettings

ENV_ALLOWED_HOSTS = "CALEA_BOT_TEAMS_ALLOWED_HOSTS"
DEFAULT_HOST_SUFFIXES = ("logic.azure.com", "environment.api.powerplatform.com")
MAX_URL_LENGTH = 4096

_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
_UNSAFE_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069]")
# Characters left as they are in card links; everything else is percent-encoded, so a link
# can never close a markdown `(…)` destination or carry quotes, brackets or spaces.
_LINK_SAFE = ":/?#@!$&*+,;=%-._~"


class WebhookUrlError(ValueError):
    """A webhook URL was refused. The message is safe to show: it never contains the URL."""


def mask_webhook_url(url: str) -> str:
    """The loggable form of a webhook URL: scheme and host, then an ellipsis."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except (ValueError, AttributeError):
        return "(unreadable URL)…"
    if not host or parts.scheme.lower() not in ("http", "https"):
        return "(not an http(s) URL)…"
    shown = f"{host}:{port}" if port and port != 443 else host
    return f"{parts.scheme.lower()}://{shown}/…"


def safe_link(url: str | None) -> str | None:
    """An http(s) link fit for a card (Action.OpenUrl, markdown link), or None.

    Refuses other schemes, missing hosts, user-info tricks (`https://fcc.gov@evil.example`)
    and invisible characters; percent-encodes anything that could end a markdown link.
    """
    if not url or len(url) > MAX_URL_LENGTH or _UNSAFE_URL_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    return quote(url, safe=_LINK_SAFE)


def _host_matches(host: str, suffix: str) -> bool:
    return host == suffix or host.endswith("." + suffix)


@dataclass(frozen=True)
class WebhookUrlPolicy:
    """Which webhook URLs may be stored and posted to."""

    https_host_suffixes: tuple[str, ...] = DEFAULT_HOST_SUFFIXES
    http_hosts: tuple[str, ...] = ()  # exact hosts allowed over plain http (tests only)

    @classmethod
    def from_settings(cls, settings: TeamsSettings) -> WebhookUrlPolicy:
        """The default hosts plus CALEA_BOT_TEAMS_ALLOWED_HOSTS (ConfigError when malformed)."""
        return cls().with_entries(settings.allowed_hosts, source=ENV_ALLOWED_HOSTS)

    def with_entries(
        self, entries: Iterable[str], *, source: str = "allowed_hosts"
    ) -> WebhookUrlPolicy:
        """A policy that also allows `entries`: host suffixes (https) or `http://HOST` (http).

        A malformed entry raises ConfigError naming `source`.
        """
        suffixes = list(self.https_host_suffixes)
        http_hosts = list(self.http_hosts)
        for entry in entries:
            lowered = entry.strip().lower()
            if lowered.startswith("http://"):
                host = lowered.removeprefix("http://").rstrip("/")
                target = http_hosts
            else:
                host = lowered.removeprefix("https://").removeprefix("*.").lstrip(".").rstrip("/")
                target = suffixes
            if not _HOST.match(host):
                raise ConfigError(
                    f"{source}: {entry!r} is not a host name; use host suffixes such as "
                    "'contoso.example' separated by commas (or 'http://127.0.0.1' for a local "
                    "test endpoint)"
                )
            if host not in target:
                target.append(host)
        return WebhookUrlPolicy(tuple(suffixes), tuple(http_hosts))

    def describe(self) -> str:
        """The allowed hosts in words, for error messages."""
        hosts = [f"https://*.{suffix}" for suffix in self.https_host_suffixes]
        hosts += [f"http://{host}" for host in self.http_hosts]
        return ", ".join(hosts)

    def check(self, url: str) -> str:
        """The URL (trimmed) if it is an allowed Workflows URL; WebhookUrlError otherwise."""
        url = url.strip()
        if not url:
            raise WebhookUrlError("the webhook URL is empty")
        if len(url) > MAX_URL_LENGTH:
            raise WebhookUrlError(f"the webhook URL is longer than {MAX_URL_LENGTH} characters")
        if _UNSAFE_URL_CHARS.search(url):
            raise WebhookUrlError("the webhook URL contains spaces or invisible characters")
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            parts.port  # noqa: B018 - raises ValueError for a malformed port
        except ValueError as exc:
            raise WebhookUrlError("the webhook URL is malformed (bad host or port)") from exc
        scheme = parts.scheme.lower()
        if parts.username is not None or parts.password is not None:
            raise WebhookUrlError("the webhook URL must not contain a user name or password")
        if not host:
            raise WebhookUrlError("the webhook URL has no host; paste the whole URL")
        if scheme == "http" and host in self.http_hosts:
            return url
        if scheme != "https":
            raise WebhookUrlError(
                "the webhook URL must start with https:// (copy it from the Workflow's "
                "'When a Teams webhook request is received' trigger)"
            )
        if not any(_host_matches(host, suffix) for suffix in self.https_host_suffixes):
            raise WebhookUrlError(
                f"{mask_webhook_url(url)} is not a Teams Workflows host; Workflows URLs are on "
                f"{self.describe()} (add hosts with {ENV_ALLOWED_HOSTS})"
            )
        return url


LEGACY_HOST_SUFFIX = "logic.azure.com"


def legacy_url_warning(url: str) -> str | None:
    """A warning for a legacy logic.azure.com Workflows URL (retired 2025-11-30), else None."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    if not _host_matches(host, LEGACY_HOST_SUFFIX):
        return None
    return (
        "this is a legacy logic.azure.com Workflows URL; Microsoft retired these on "
        "2025-11-30. Copy the workflow's new URL (…environment.api.powerplatform.com) and run "
        "`calea-bot teams add-channel NAME URL --replace`."
    )
