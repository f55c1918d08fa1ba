"""Logging set-up from the command line and the environment.

-v (INFO: one line per source poll) and -vv (DEBUG) win; otherwise LOG_LEVEL (DEBUG, INFO,
WARNING, ERROR; default WARNING). LOG_FORMAT=json writes one JSON object per line
(python-json-logger) for log shippers; anything else is plain text. Libraries that would log
full request URLs (which can carry keys) stay at WARNING whatever the level.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from bot.errors import ConfigError

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}


def log_level(verbose: int, env: Mapping[str, str]) -> int:
    """The root level: -vv → DEBUG, -v → INFO, else LOG_LEVEL, else WARNING."""
    if verbose > 1:
        return logging.DEBUG
    if verbose == 1:
        return logging.INFO
    raw = (env.get("LOG_LEVEL") or "").strip()
    if not raw:
        return logging.WARNING
    if raw.upper() not in _LEVELS:
        raise ConfigError(
            f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got {raw!r}"
        )
    return _LEVELS[raw.upper()]


def make_handler(env: Mapping[str, str]) -> logging.Handler:
    """A stderr handler with the text or JSON formatter LOG_FORMAT asks for."""
    handler = logging.StreamHandler(sys.stderr)
    fmt = (env.get("LOG_FORMAT") or "text").strip().lower()
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level"}))
    elif fmt in ("text", "plain", ""):
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    else:
        raise ConfigError(f"LOG_FORMAT must be 'json' or 'text', got {fmt!r}")
    return handler


def setup_logging(verbose: int, env: Mapping[str, str] = os.environ) -> None:
    """Configure the root logger once per process (later calls only change the level)."""
    level = log_level(verbose, env)
    root = logging.getLogger()
    if not any(getattr(h, "_calea_bot", False) for h in root.handlers):
        handler = make_handler(env)
        handler._calea_bot = True  # type: ignore[attr-defined]
        if not root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    # httpx logs full request URLs at INFO; they can carry keys. Scheduler chatter is noise.
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # slack_sdk logs every failed attempt as an error; the bot reports the outcome itself.
    if level > logging.DEBUG:
        logging.getLogger("slack_sdk.web.base_client").setLevel(logging.CRITICAL)
