"""Why the bot stopped posting to a workspace's channels (kept as destinations' paused_reason).

A reinstall of the app in that workspace resumes destinations paused for these reasons only
(not, say, a deleted channel).
"""

from __future__ import annotations

UNINSTALLED_REASON = "the Slack app was uninstalled (app_uninstalled); reinstall it to resume"
REVOKED_REASON = "Slack revoked the bot token (tokens_revoked); reinstall the app and resume"
NO_INSTALLATION_PREFIX = "calea-bot is not installed in this channel's Slack workspace"
#: Paused for one of these, a destination resumes when its workspace installs the app again.
INSTALL_REASONS = (UNINSTALLED_REASON, REVOKED_REASON, NO_INSTALLATION_PREFIX)


def no_installation_reason(workspace: str) -> str:
    """The pause reason of a destination whose workspace has no installation (or none known)."""
    where = f"workspace {workspace}" if workspace else "no workspace recorded for it"
    return f"{NO_INSTALLATION_PREFIX} ({where}); install it there (/slack/install) to resume"
