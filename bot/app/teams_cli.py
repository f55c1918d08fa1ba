"""`calea-bot teams …`: register Teams channels (Workflows webhooks), list, link, test, remove.

Webhook URLs are credentials: they are checked against the allowed hosts before being stored
and are only ever printed masked. Pass `-` instead of the URL to read it from standard input
(keeps it out of shell history and the process list).
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
import sys

import click

from bot.app.build import Paths
from bot.app.cli_options import common_options
from bot.common.clock import utc_now
from bot.config import load_config
from bot.errors import CaleaBotError
from bot.sinks.teams.cards import connection_test_card
from bot.sinks.teams.elements import encode_payload, message_payload
from bot.sinks.teams.markdown import strip_invisible
from bot.sinks.teams.poster import WorkflowsPoster, judge
from bot.sinks.teams.urls import (
    WebhookUrlError,
    WebhookUrlPolicy,
    legacy_url_warning,
    mask_webhook_url,
)
from bot.store import Store
from bot.store.teams_webhooks import TeamsWebhook, TeamsWebhookConflict, TeamsWebhooks

_NAME = re.compile(r"^\w[\w .#-]{0,63}$")
_CHANNEL_ID = re.compile(r"^[A-Za-z0-9:@._;=-]{3,300}$")


def _policy(paths: Paths) -> WebhookUrlPolicy:
    try:
        return WebhookUrlPolicy.from_settings(paths.settings.teams)
    except CaleaBotError as exc:
        raise click.ClickException(str(exc)) from exc


def _check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise click.BadParameter(
            "use 1-64 letters, digits, spaces, '.', '#', '-' or '_' (e.g. compliance-alerts)",
            param_hint="NAME",
        )
    return name


def _check_channel_id(value: str | None) -> str | None:
    if value is None:
        return None
    value = strip_invisible(value)
    if not _CHANNEL_ID.match(value):
        raise click.BadParameter(
            "a Teams channel id looks like 19:abc123…@thread.tacv2 (the bot shows it when it "
            "is mentioned in a channel that is not linked yet)",
            param_hint="--channel-id",
        )
    return value


def _read_url(value: str) -> str:
    if value == "-":
        value = sys.stdin.readline()
    return value.strip()


def _topics(paths: Paths, raw: str) -> list[str]:
    wanted = [t.strip() for t in raw.split(",") if t.strip()]
    if not wanted:
        return []
    try:
        known = load_config(paths.feeds).topic_ids()
    except CaleaBotError as exc:
        raise click.ClickException(f"cannot check --topics: {exc}") from exc
    for topic in wanted:
        if topic != "*" and topic not in known:
            raise click.BadParameter(
                f"unknown topic {topic!r}; known topics: {', '.join(known)} (or '*' for all)",
                param_hint="--topics",
            )
    return list(dict.fromkeys(wanted))


def _open(paths: Paths) -> tuple[Store, TeamsWebhooks]:
    try:
        store = Store(paths.db)
    except CaleaBotError as exc:
        raise click.ClickException(str(exc)) from exc
    return store, TeamsWebhooks(store.db)


def _require(webhooks: TeamsWebhooks, name: str) -> TeamsWebhook:
    webhook = webhooks.get(name)
    if webhook is None:
        names = ", ".join(w.name for w in webhooks.list()) or "none yet"
        raise click.ClickException(
            f"no Teams channel named {name!r} (registered: {names}); "
            "add one with `calea-bot teams add-channel NAME WEBHOOK_URL`"
        )
    return webhook


@click.group("teams")
def teams() -> None:
    """Microsoft Teams: channels that receive alerts through a Workflows webhook.

    Create a Workflow from the template "Post to a channel when a webhook request is
    received" (trigger "When a Teams webhook request is received"), copy its URL, then run
    `calea-bot teams add-channel NAME URL`. See docs/teams.md.
    """


@teams.command("add-channel")
@click.argument("name")
@click.argument("webhook_url")
@click.option(
    "--topics", default="", metavar="A,B", help="Subscribe to these topic ids ('*': all)."
)
@click.option("--daily", is_flag=True, help="Subscribe for a daily digest instead of real time.")
@click.option(
    "--channel-id", metavar="ID", help="Link the Teams channel id (for @mention commands)."
)
@click.option(
    "--replace", is_flag=True, help="Give an existing channel a new URL (resumes delivery)."
)
@common_options
def add_channel(
    paths: Paths,
    name: str,
    webhook_url: str,
    topics: str,
    daily: bool,
    channel_id: str | None,
    replace: bool,
) -> None:
    """Register a Teams channel by NAME with its Workflows WEBHOOK_URL ('-' reads it from stdin)."""
    name = _check_name(name)
    channel_id = _check_channel_id(channel_id)
    policy = _policy(paths)
    try:
        url = policy.check(_read_url(webhook_url))
    except WebhookUrlError as exc:
        raise click.BadParameter(str(exc), param_hint="WEBHOOK_URL") from exc
    wanted = _topics(paths, topics)
    store, webhooks = _open(paths)
    try:
        now = utc_now()
        try:
            webhook = webhooks.add(name, url, channel_id=channel_id, replace=replace, now=now)
        except TeamsWebhookConflict as exc:
            raise click.ClickException(str(exc)) from exc
        mode = "daily" if daily else "realtime"
        if wanted:
            store.subscriptions.subscribe(webhook.destination.id, wanted, mode=mode, now=now)
        subscriptions = store.subscriptions.of(webhook.destination.id)
    finally:
        store.close()
    verb = "Updated" if replace else "Registered"
    click.echo(f"{verb} Teams channel {name!r} → {mask_webhook_url(url)}")
    legacy = legacy_url_warning(url)
    if legacy:
        click.echo(f"warning: {legacy}", err=True)
    if subscriptions:
        click.echo("  topics: " + ", ".join(f"{s.topic} ({s.mode})" for s in subscriptions))
    else:
        click.echo("  topics: none yet — add --topics, or @mention the bot with `subscribe TOPIC`")
    if not webhook.channel_id:
        click.echo("  commands: not linked; @mention the bot in the channel to get its channel id")
    click.echo(f"Check it with: calea-bot teams test {shlex.quote(name)}")


@teams.command("list")
@common_options
def list_channels(paths: Paths) -> None:
    """Registered Teams channels: masked webhook URL, linked channel, topics, paused reason."""
    store, webhooks = _open(paths)
    try:
        rows = [(w, store.subscriptions.of(w.destination.id)) for w in webhooks.list()]
    finally:
        store.close()
    if not rows:
        click.echo("No Teams channels. Add one with: calea-bot teams add-channel NAME WEBHOOK_URL")
        return
    for webhook, subscriptions in rows:
        click.echo(f"{webhook.name}  {mask_webhook_url(webhook.url)}")
        click.echo(f"  channel id: {webhook.channel_id or 'not linked'}")
        topics = ", ".join(f"{s.topic} ({s.mode})" for s in subscriptions) or "none"
        click.echo(f"  topics:     {topics}")
        paused = webhook.destination.paused_reason
        click.echo(f"  delivery:   {'PAUSED — ' + paused if paused else 'active'}")
        legacy = legacy_url_warning(webhook.url)
        if legacy:
            click.echo(f"  warning:    {legacy}")


@teams.command("link")
@click.argument("name")
@click.argument("channel_id", required=False)
@click.option("--unlink", is_flag=True, help="Remove the link instead.")
@common_options
def link(paths: Paths, name: str, channel_id: str | None, unlink: bool) -> None:
    """Link a Teams CHANNEL_ID to NAME so @mention commands there act on NAME."""
    if not unlink and not channel_id:
        raise click.UsageError("give a CHANNEL_ID, or --unlink")
    channel_id = None if unlink else _check_channel_id(channel_id)
    store, webhooks = _open(paths)
    try:
        _require(webhooks, name)
        try:
            webhooks.link(name, channel_id)
        except TeamsWebhookConflict as exc:
            raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    if channel_id:
        click.echo(f"Linked Teams channel {channel_id} to {name!r}.")
    else:
        click.echo(f"Unlinked {name!r}; @mention commands there will ask to be linked.")


@teams.command("remove")
@click.argument("name")
@common_options
def remove(paths: Paths, name: str) -> None:
    """Forget a Teams channel: its webhook URL, subscriptions and queued alerts."""
    store, webhooks = _open(paths)
    try:
        _require(webhooks, name)
        removed = webhooks.remove(name)
    finally:
        store.close()
    assert removed is not None
    click.echo(
        f"Removed Teams channel {name!r} ({removed.subscriptions} subscriptions, "
        f"{removed.queued_alerts} queued alerts dropped). Delete its Workflow in Teams too."
    )


@teams.command("test")
@click.option("--timeout", default=15.0, show_default=True, help="Seconds to wait for Teams.")
@click.argument("name")
@common_options
def test(paths: Paths, name: str, timeout: float) -> None:
    """Post a test card to NAME and print what Teams answered (resumes a paused channel)."""
    store, webhooks = _open(paths)
    try:
        webhook = _require(webhooks, name)
        try:
            url = _policy(paths).check(webhook.url)
        except WebhookUrlError as exc:
            raise click.ClickException(f"{name!r}: {exc}") from exc
        teams = paths.settings.teams
        poster = WorkflowsPoster(
            connect_timeout=min(5.0, timeout),
            timeout=timeout,
            proxy=teams.proxy,
            no_proxy=teams.no_proxy,
        )
        try:
            card = connection_test_card(name, dt.datetime.now(dt.UTC))
            result = poster.post(url, encode_payload(message_payload(card)))
        finally:
            poster.close()
        verdict = judge(result, where=name)
        resumed = verdict.kind == "sent" and webhook.destination.paused_reason
        if resumed:
            store.subscriptions.resume(webhook.destination.id)
    finally:
        store.close()
    if verdict.kind != "sent":
        raise click.ClickException(f"test card not delivered to {name!r}: {verdict.detail}")
    click.echo(
        f"Teams accepted the test card for {name!r} ({mask_webhook_url(url)}, HTTP "
        f"{result.status_code}). If it does not appear, open the Workflow's run history."
    )
    if resumed:
        click.echo(
            f"Delivery to {name!r} resumed (it was paused: {webhook.destination.paused_reason})."
        )
