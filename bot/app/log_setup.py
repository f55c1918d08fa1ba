"""Logging set-up from the command line and the environment.

-v (INFO: one line per source poll) and -vv (DEBUG) win; otherwise LOG_LEVEL (DEBUG, INFO,
WARNING, ERROR; default WARNING). LOG_FORMAT=json writes one JSON object per line
(python-json-logger) for log shippers; anything else is plain text. Libraries that would log
full request URLs (which can carry keys) stay at WARNING whatever the level.
"""

from __future__ import annotations

import logging
import sys

from bot.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def log_level(verbose: int, settings: Settings) -> int:
    """The root level: -vv → DEBUG, -v → INFO, else LOG_LEVEL, else WARNING."""
    if verbose > 1:
        return logging.DEBUG
    if verbose == 1:
        return logging.INFO
    return logging.getLevelName(settings.log_level) if settings.log_level else logging.WARNING


def make_handler(settings: Settings) -> logging.Handler:
    """A stderr handler with the text or JSON formatter LOG_FORMAT asks for."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level"}))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    return handler


def setup_logging(verbose: int, settings: Settings) -> None:
    """Configure the root logger once per process (later calls only change the level)."""
    level = log_level(verbose, settings)
    root = logging.getLogger()
    if not any(getattr(h, "_calea_bot", False) for h in root.handlers):
        handler = make_handler(settings)
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
