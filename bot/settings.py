"""Settings from the environment, validated once: the only code that reads environment variables.

`load_settings(env)` builds one `Settings` object at start-up (`calea-bot` passes `os.environ`);
everything else receives it, or the part it needs (`settings.slack`, `settings.teams`). Every
mistake raises ConfigError naming the variable and the fix, never echoing a secret.
feeds.yaml is read by bot.config; `Settings.feeds` says where it is.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from bot.errors import ConfigError

DEFAULT_DB = "calea-bot.db"
DEFAULT_FEEDS = "feeds.yaml"
DEFAULT_PORT = 3000
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_ECFS_URL = "https://publicapi.fcc.gov/ecfs/filings"
_API_KEY = re.compile(r"[A-Za-z0-9]{1,100}")
TEAMS_SECRET_VARIABLE = "TEAMS_OUTGOING_WEBHOOK_SECRET"
TEAMS_ALLOWED_HOSTS_VARIABLE = "CALEA_BOT_TEAMS_ALLOWED_HOSTS"
_FROZEN = ConfigDict(frozen=True, arbitrary_types_allowed=True)


class SlackSettings(BaseModel):
    """Slack: a bot token (one workspace) or OAuth client credentials (many workspaces).

    With a bot token the app token chooses Socket Mode over HTTP mode. Without one, the app
    is installed through OAuth (/slack/install) in any number of workspaces, each one's tokens
    kept encrypted in the database with `token_keys` (see bot.sinks.slack.oauth).
    """

    model_config = _FROZEN

    bot_token: str | None = Field(default=None, repr=False)  # None: multi-workspace (OAuth)
    app_token: str | None = Field(default=None, repr=False)
    signing_secret: str = Field(default="", repr=False)
    api_url: str = DEFAULT_SLACK_API_URL
    admins: frozenset[str] | None = None  # None: workspace admins and owners
    ping_interval: float = 5.0  # Socket Mode timings, seconds
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0
    client_id: str = ""  # SLACK_CLIENT_ID (multi-workspace)
    client_secret: str = Field(default="", repr=False)  # SLACK_CLIENT_SECRET
    token_keys: tuple[str, ...] = Field(default=(), repr=False)  # CALEA_BOT_TOKEN_KEY, newest first
    redirect_uri: str | None = None  # CALEA_BOT_PUBLIC_URL + /slack/oauth_redirect, when set

    @property
    def mode(self) -> str:
        """ "socket" with an app token, else "http"."""
        return "socket" if self.app_token else "http"

    @property
    def multi_workspace(self) -> bool:
        """True when installed through OAuth in many workspaces (no SLACK_BOT_TOKEN)."""
        return self.bot_token is None


class TeamsSettings(BaseModel):
    """Teams: the outgoing-webhook secret (commands), admins, extra Workflows hosts."""

    model_config = _FROZEN

    outgoing_secret: bytes | None = Field(default=None, repr=False)
    admins: frozenset[str] = frozenset()
    allowed_hosts: tuple[str, ...] = ()
    admin_channel: str | None = None  # a registered Teams channel told about broken sources
    proxy: str | None = Field(default=None, repr=False)  # HTTPS_PROXY for Workflows posts
    no_proxy: tuple[str, ...] = ()  # NO_PROXY host suffixes


class OpsSettings(BaseModel):
    """Operating the bot: metrics, readiness, the HTTP server's limits, the admin channel."""

    model_config = _FROZEN

    metrics: bool = False  # CALEA_BOT_METRICS=1 serves /metrics
    admin_channel: str | None = None  # Slack channel id (or TEAM:CHANNEL) told of broken sources
    outbox_stuck_minutes: float = 15.0  # /readyz: oldest due alert older than this → not ready
    http_body_timeout: float = 10.0  # seconds to receive a request body
    http_max_connections: int = 500  # uvicorn limit_concurrency (503 above it)
    http_keepalive: float = 5.0  # idle keep-alive connections close after this
    subscribe_admins_only: bool = False  # only admins may subscribe/unsubscribe channels


class EcfsSettings(BaseModel):
    """FCC ECFS filings polling: the api.data.gov key (DEMO_KEY when unset), where, how often."""

    model_config = _FROZEN

    api_key: str = Field(default="DEMO_KEY", repr=False)
    demo: bool = True  # no FCC_API_KEY: the rate-limited DEMO_KEY
    url: str = DEFAULT_ECFS_URL
    interval: int = 3600  # seconds between two polls of one docket


class Settings(BaseModel):
    """Everything the environment configures (see README's settings table)."""

    model_config = _FROZEN

    feeds: Path = Path(DEFAULT_FEEDS)
    db: Path = Path(DEFAULT_DB)
    database_url: str | None = Field(default=None, repr=False)  # PostgreSQL instead of db
    feeds_given: bool = False  # --feeds or CALEA_BOT_FEEDS named the file
    port: int = DEFAULT_PORT
    port_given: bool = False  # PORT was set: serve /healthz even with no chat routes
    host: str = "0.0.0.0"
    digest_time: str | None = None  # HH:MM, checked by DigestSchedule
    timezone: str | None = None
    log_level: str | None = None
    log_format: str = "text"
    lease_ttl: float = 60.0  # one bot per database: a silent holder's lease expires after this
    lease_heartbeat: float = 15.0
    leader_retry: float = 5.0  # PostgreSQL: how often a standby replica tries to lead
    claim_seconds: float = 60.0  # PostgreSQL: a dead replica's channels are free after this
    public_url: str | None = None  # the bot's public base URL, for calendar feed links
    slack: SlackSettings | None = None
    teams: TeamsSettings = TeamsSettings()
    ops: OpsSettings = OpsSettings()
    ecfs: EcfsSettings = EcfsSettings()


def load_settings(
    env: Mapping[str, str], *, feeds: str | None = None, db: str | None = None
) -> Settings:
    """Settings from command-line values, else the environment, else defaults."""
    feeds_value = feeds or _text(env, "CALEA_BOT_FEEDS")
    db_value = db or _text(env, "CALEA_BOT_DB") or DEFAULT_DB
    return Settings(
        feeds=Path(feeds_value or DEFAULT_FEEDS),
        db=Path(DEFAULT_DB if _is_url(db_value) else db_value),
        database_url=_database_url(env, db_value),
        feeds_given=bool(feeds_value),
        port=_port(env),
        port_given=bool(_text(env, "PORT")),
        host=_text(env, "HOST") or "0.0.0.0",
        digest_time=_text(env, "CALEA_BOT_DIGEST_TIME") or None,
        timezone=_text(env, "CALEA_BOT_TIMEZONE") or None,
        log_level=_log_level(env),
        log_format=_log_format(env),
        **_lease(env),
        public_url=_public_url(env),
        slack=_slack(env),
        teams=_teams(env),
        ops=_ops(env),
        ecfs=_ecfs(env),
    )


_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _is_url(value: str) -> bool:
    return "://" in value


def _database_url(env: Mapping[str, str], db_value: str) -> str | None:
    """DATABASE_URL (or a URL given as --db/CALEA_BOT_DB): PostgreSQL instead of SQLite."""
    url = db_value if _is_url(db_value) else _text(env, "DATABASE_URL")
    if not url:
        return None
    if not url.startswith(_POSTGRES_SCHEMES):
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        raise ConfigError(
            f"DATABASE_URL must be a postgresql:// URL (got {scheme}://…); unset it to use "
            "the SQLite file CALEA_BOT_DB"
        )
    return url


def _text(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def _public_url(env: Mapping[str, str]) -> str | None:
    raw = _text(env, "CALEA_BOT_PUBLIC_URL")
    if raw and not re.fullmatch(r"https?://[^\s/?#]+(?:/[^\s?#]*)?", raw):
        raise ConfigError(
            f"CALEA_BOT_PUBLIC_URL must be an http(s) base URL like https://bot.example.com, "
            f"got {raw[:80]!r}"
        )
    return raw.rstrip("/") or None


def _port(env: Mapping[str, str]) -> int:
    raw = _text(env, "PORT") or str(DEFAULT_PORT)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"PORT must be a TCP port number (1-65535), got {raw!r}")
    return int(raw)


def _log_level(env: Mapping[str, str]) -> str | None:
    raw = _text(env, "LOG_LEVEL").upper()
    if raw and raw not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(
            f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got {raw!r}"
        )
    return raw or None


def _log_format(env: Mapping[str, str]) -> str:
    raw = _text(env, "LOG_FORMAT").lower() or "text"
    if raw not in ("text", "json"):
        raise ConfigError(f"LOG_FORMAT must be text or json, got {raw!r}")
    return raw


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A timing of at most an hour; ConfigError naming the variable otherwise."""
    value = _positive_seconds(env, name, default)
    if value > 3600:
        raise ConfigError(f"{name} must be a number of seconds (0-3600], got {_text(env, name)!r}")
    return value


def _lease(env: Mapping[str, str]) -> dict[str, float]:
    ttl = _positive_seconds(env, "CALEA_BOT_LEASE_TTL", 60.0)
    heartbeat = _positive_seconds(env, "CALEA_BOT_LEASE_HEARTBEAT", min(15.0, ttl / 4))
    return {
        "lease_ttl": ttl,
        "lease_heartbeat": min(heartbeat, ttl / 2),
        "leader_retry": _seconds(env, "CALEA_BOT_LEADER_RETRY", 5.0),
        "claim_seconds": _seconds(env, "CALEA_BOT_CLAIM_SECONDS", 60.0),
    }


def _positive_seconds(
    env: Mapping[str, str], name: str, default: float, unit: str = "seconds"
) -> float:
    raw = _text(env, name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):  # also refuses NaN
        raise ConfigError(f"{name} must be a positive number of {unit}, got {raw!r}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = _text(env, name).lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _text(env, name)
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) <= 100_000:
        raise ConfigError(f"{name} must be a whole number from 1 to 100000, got {raw!r}")
    return int(raw)


def _ops(env: Mapping[str, str]) -> OpsSettings:
    channel = _text(env, "CALEA_BOT_ADMIN_CHANNEL") or None
    if channel is not None and not re.fullmatch(r"(T[A-Z0-9]{5,}:)?[CGD][A-Z0-9]{5,}", channel):
        raise ConfigError(
            "CALEA_BOT_ADMIN_CHANNEL must be a Slack channel id such as C0123ABCD (channel "
            "details → About), or T0123ABCD:C0123ABCD naming its workspace when installed in "
            f"many, got {channel!r}"
        )
    return OpsSettings(
        metrics=_flag(env, "CALEA_BOT_METRICS"),
        admin_channel=channel,
        outbox_stuck_minutes=_positive_seconds(
            env, "CALEA_BOT_OUTBOX_STUCK_MINUTES", 15.0, "minutes"
        ),
        http_body_timeout=_seconds(env, "CALEA_BOT_HTTP_BODY_TIMEOUT", 10.0),
        http_max_connections=_count(env, "CALEA_BOT_HTTP_MAX_CONNECTIONS", 500),
        http_keepalive=_seconds(env, "CALEA_BOT_HTTP_KEEPALIVE", 5.0),
        subscribe_admins_only=_flag(env, "CALEA_BOT_SUBSCRIBE_ADMINS_ONLY"),
    )


def _ids(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.replace(";", ",").split(",") if part.strip())


# -- Slack ------------------------------------------------------------------------------------


OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
MAKE_TOKEN_KEY = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def _slack(env: Mapping[str, str]) -> SlackSettings | None:
    token = _bot_token(env)
    if token is None:
        return _slack_oauth(env) if _text(env, "SLACK_CLIENT_ID") else None
    app_token = _text(env, "SLACK_APP_TOKEN") or None
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN must be an app-level token starting with xapp- (app settings → "
            "Basic Information → App-Level Tokens, scope connections:write)."
        )
    secret = _text(env, "SLACK_SIGNING_SECRET")
    if app_token is None and not secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set. Without SLACK_APP_TOKEN the bot receives Slack "
            "requests over HTTP and must verify them with the app's Signing Secret (app "
            "settings → Basic Information → App Credentials). Set it, or set SLACK_APP_TOKEN "
            "(xapp-…) to use Socket Mode instead."
        )
    reconnect_min = _seconds(env, "CALEA_BOT_SLACK_RECONNECT_MIN", 1.0)
    reconnect_max = _seconds(env, "CALEA_BOT_SLACK_RECONNECT_MAX", 60.0)
    if reconnect_max < reconnect_min:
        raise ConfigError(
            "CALEA_BOT_SLACK_RECONNECT_MAX must not be below CALEA_BOT_SLACK_RECONNECT_MIN"
        )
    return SlackSettings(
        bot_token=token,
        app_token=app_token,
        signing_secret=secret,
        api_url=_slack_api_url(env),
        admins=_ids(_text(env, "CALEA_BOT_ADMINS")) or None,
        ping_interval=_seconds(env, "CALEA_BOT_SLACK_PING_INTERVAL", 5.0),
        reconnect_min=reconnect_min,
        reconnect_max=reconnect_max,
    )


def _slack_oauth(env: Mapping[str, str]) -> SlackSettings:
    """Multi-workspace mode: SLACK_CLIENT_ID without SLACK_BOT_TOKEN (HTTP mode only)."""
    if _text(env, "SLACK_APP_TOKEN"):
        raise ConfigError(
            "SLACK_APP_TOKEN is set with SLACK_CLIENT_ID: installs in many workspaces (OAuth) "
            "use HTTP mode; unset SLACK_APP_TOKEN, or set SLACK_BOT_TOKEN for one workspace."
        )
    for name in ("SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET"):
        if not _text(env, name):
            raise ConfigError(
                f"{name} is not set: installing calea-bot in many workspaces (SLACK_CLIENT_ID "
                "without SLACK_BOT_TOKEN) needs it (app settings → Basic Information → App "
                "Credentials)."
            )
    public_url = _public_url(env)
    return SlackSettings(
        signing_secret=_text(env, "SLACK_SIGNING_SECRET"),
        api_url=_slack_api_url(env),
        admins=_ids(_text(env, "CALEA_BOT_ADMINS")) or None,
        client_id=_text(env, "SLACK_CLIENT_ID"),
        client_secret=_text(env, "SLACK_CLIENT_SECRET"),
        token_keys=_token_keys(env),
        redirect_uri=public_url + OAUTH_REDIRECT_PATH if public_url else None,
    )


def _token_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    """CALEA_BOT_TOKEN_KEY: Fernet keys, comma-separated (the first encrypts, all decrypt)."""
    keys = tuple(k.strip() for k in _text(env, "CALEA_BOT_TOKEN_KEY").split(",") if k.strip())
    if not keys:
        raise ConfigError(
            "CALEA_BOT_TOKEN_KEY is not set: Slack tokens of each workspace are stored "
            f"encrypted with it; make one with {MAKE_TOKEN_KEY} and keep it secret."
        )
    for number, key in enumerate(keys, 1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:  # never echo the key itself
            raise ConfigError(
                f"CALEA_BOT_TOKEN_KEY (key {number}) is not a Fernet key (44 characters of "
                f"url-safe base64); make one with {MAKE_TOKEN_KEY}"
            )
    return keys


def _slack_api_url(env: Mapping[str, str]) -> str:
    url = _text(env, "SLACK_API_URL") or DEFAULT_SLACK_API_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_SLACK_API_URL}, got {url!r}."
        )
    return url if url.endswith("/") else url + "/"


def _bot_token(env: Mapping[str, str]) -> str | None:
    token = _text(env, "SLACK_BOT_TOKEN")
    if not token:
        return None
    if token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_BOT_TOKEN holds an app-level token (xapp-…). Put that one in SLACK_APP_TOKEN "
            "and set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…)."
        )
    if token.startswith("xoxp-"):
        raise ConfigError(
            "SLACK_BOT_TOKEN holds a user token (xoxp-…); use the Bot User OAuth Token (xoxb-…) "
            "from the app's OAuth & Permissions page."
        )
    return token


# -- FCC ECFS ---------------------------------------------------------------------------------


def _ecfs(env: Mapping[str, str]) -> EcfsSettings:
    key = _text(env, "FCC_API_KEY")
    if key and not _API_KEY.fullmatch(key):  # never echo the key itself
        raise ConfigError(
            f"FCC_API_KEY must be an api.data.gov key (letters and digits, up to 100), got "
            f"{len(key)} characters that are not; get one at https://api.data.gov/signup/"
        )
    url = _text(env, "FCC_ECFS_URL") or DEFAULT_ECFS_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ConfigError(f"FCC_ECFS_URL must be an http(s) URL without a query, got {url!r}")
    # DEMO_KEY allows about 50 requests a day: poll each docket every 6 h unless told otherwise
    raw = _text(env, "CALEA_BOT_ECFS_INTERVAL") or ("3600" if key else "21600")
    if not raw.isdigit() or not 60 <= int(raw) <= 86400:
        raise ConfigError(
            f"CALEA_BOT_ECFS_INTERVAL must be seconds between 60 and 86400, got {raw!r}"
        )
    return EcfsSettings(api_key=key or "DEMO_KEY", demo=not key, url=url, interval=int(raw))


# -- Teams ------------------------------------------------------------------------------------


def _teams(env: Mapping[str, str]) -> TeamsSettings:
    hosts = tuple(
        entry.strip()
        for entry in _text(env, TEAMS_ALLOWED_HOSTS_VARIABLE).split(",")
        if entry.strip()
    )
    return TeamsSettings(
        outgoing_secret=parse_teams_secret(env.get(TEAMS_SECRET_VARIABLE)),
        admins=frozenset(a.lower() for a in _ids(_text(env, "CALEA_BOT_TEAMS_ADMINS"))),
        allowed_hosts=hosts,
        admin_channel=_text(env, "CALEA_BOT_TEAMS_ADMIN_CHANNEL") or None,
        proxy=_proxy(env),
        no_proxy=tuple(
            part.strip().lstrip(".").lower()
            for part in (_text(env, "NO_PROXY") or _text(env, "no_proxy")).split(",")
            if part.strip()
        ),
    )


def _proxy(env: Mapping[str, str]) -> str | None:
    """HTTPS_PROXY (or ALL_PROXY), as httpx reads it for feeds and slack_sdk for Slack."""
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        value = _text(env, name)
        if value:
            if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname:
                raise ConfigError(f"{name} must be an http:// or https:// proxy URL")
            return value
    return None


def parse_teams_secret(value: str | None) -> bytes | None:
    """The decoded outgoing-webhook secret; None when unset or blank.

    Raises ConfigError (naming the variable, never echoing it) when it is not base64.
    """
    if value is None or not value.strip():
        return None
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(
            f"{TEAMS_SECRET_VARIABLE} is not valid base64: paste the security token Teams "
            "showed when the outgoing webhook was created, exactly as shown"
        ) from exc
    if len(key) < 16:
        raise ConfigError(
            f"{TEAMS_SECRET_VARIABLE} is too short to be a Teams outgoing-webhook security "
            "token (expected the base64 token Teams showed when the webhook was created)"
        )
    return key
