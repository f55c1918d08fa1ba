"""Microsoft Teams: alert cards through Workflows, commands through an outgoing webhook.

- `TeamsIntegration.from_settings` builds what a running bot needs: the `TeamsSink` (one Workflows
  webhook per registered channel, see `calea-bot teams add-channel`) and, when
  TEAMS_OUTGOING_WEBHOOK_SECRET is set, the POST /teams/messages route for @mention commands.
- Environment: TEAMS_OUTGOING_WEBHOOK_SECRET (base64 security token of the outgoing webhook),
  CALEA_BOT_TEAMS_ADMINS (Azure AD object ids allowed to add/remove feeds from Teams),
  CALEA_BOT_TEAMS_ALLOWED_HOSTS (extra Workflows host suffixes).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from bot.commands.context import CommandServices
from bot.settings import TeamsSettings
from bot.sinks.teams.registry import StoredWebhookUrls
from bot.sinks.teams.sink import TeamsSink, TeamsSinkSettings
from bot.sinks.teams.urls import WebhookUrlPolicy, mask_webhook_url
from bot.sinks.teams.webhook import CommandRunner, OutgoingWebhook, OutgoingWebhookSettings
from bot.store.teams_webhooks import TeamsWebhooks

__all__ = ["TeamsIntegration", "TeamsSink", "TeamsSinkSettings", "mask_webhook_url"]


class TeamsIntegration:
    """The Teams parts of a running bot: a sink, and the outgoing-webhook route if configured."""

    platform = "teams"
    mode = "workflows"

    def __init__(self, sink: TeamsSink, endpoint: OutgoingWebhook | None = None) -> None:
        self.sink = sink
        self.endpoint = endpoint

    def verify(self) -> None:
        """Nothing to check up front: each webhook URL was checked when it was registered."""

    def start(self) -> None:
        """No background connection: commands arrive over HTTP."""

    def health(self) -> None:
        """No connection to report: each webhook post stands alone."""

    @classmethod
    def from_settings(
        cls,
        settings: TeamsSettings,
        services: CommandServices,
        *,
        policy: WebhookUrlPolicy | None = None,
        sink_settings: TeamsSinkSettings | None = None,
        webhook_settings: OutgoingWebhookSettings | None = None,
        run: CommandRunner | None = None,
    ) -> TeamsIntegration | None:
        """Teams as configured, or None with no registered channel and no outgoing secret.

        Malformed CALEA_BOT_TEAMS_ALLOWED_HOSTS entries raise ConfigError. `policy`, the
        settings and `run` are for tests.
        """
        key = settings.outgoing_secret
        policy = policy or WebhookUrlPolicy.from_settings(settings)
        if key is None and not TeamsWebhooks(services.store.db).list():
            return None
        sink = TeamsSink(
            StoredWebhookUrls(services.store.target),
            policy=policy,
            settings=sink_settings,
            proxy=settings.proxy,
            no_proxy=settings.no_proxy,
        )
        endpoint = None
        if key is not None:
            endpoint = OutgoingWebhook(
                key=key,
                services=services,
                admins=settings.admins,
                settings=webhook_settings,
                run=run,
            )
        return cls(sink, endpoint)

    def routes(self) -> list[BaseRoute]:
        """POST /teams/messages when the outgoing-webhook secret is set."""
        return [self.endpoint.route()] if self.endpoint else []

    def stop(self) -> None:
        """Close the sink's connections and the command worker."""
        self.sink.close()
        if self.endpoint:
            self.endpoint.close()
