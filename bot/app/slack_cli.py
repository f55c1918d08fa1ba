"""`calea-bot slack …`: help setting up the Slack app."""

from __future__ import annotations

from importlib.resources import files
from urllib.parse import urlsplit

import click
import yaml


def manifest_text() -> str:
    """The bundled Slack app manifest (Socket Mode), comments included."""
    return files("bot.sinks.slack").joinpath("manifest.yaml").read_text(encoding="utf-8")


def http_manifest(request_url: str) -> str:
    """The manifest for HTTP mode: Socket Mode off, every request sent to `request_url`."""
    manifest = yaml.safe_load(manifest_text())
    manifest["settings"]["socket_mode_enabled"] = False
    manifest["settings"]["event_subscriptions"]["request_url"] = request_url
    manifest["settings"]["interactivity"]["request_url"] = request_url
    for command in manifest["features"]["slash_commands"]:
        command["url"] = request_url
    body = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
    return (
        "# Slack app manifest for calea-bot, HTTP mode (set SLACK_SIGNING_SECRET).\n"
        "# Scopes are explained in `calea-bot slack manifest` (without --request-url).\n" + body
    )


def _https_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise click.BadParameter(
            f"must be a public https URL ending in /slack/events, got {value!r}"
        )
    return value


@click.group()
def slack() -> None:
    """Set up the Slack app."""


@slack.command()
@click.option(
    "--request-url",
    metavar="URL",
    callback=_https_url,
    help="HTTP mode: the public https URL of /slack/events (default: Socket Mode).",
)
def manifest(request_url: str | None) -> None:
    """Print the Slack app manifest to paste at api.slack.com/apps ("From an app manifest")."""
    click.echo(http_manifest(request_url) if request_url else manifest_text(), nl=False)
