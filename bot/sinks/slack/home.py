"""The App Home tab: source health, the latest alerts and the topics to subscribe to (pure).

Built from plain values so it can be tested without Slack; `app.py` gathers them from the
store and publishes the view with views.publish. At most 100 blocks, as Slack requires.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.reply import ItemRef
from bot.models import Topic
from bot.sinks.slack.kit import MAX_HOME_BLOCKS, context, header, section
from bot.sinks.slack.mrkdwn import escaped, single_line
from bot.sinks.slack.reply_blocks import item_section

#: Past this many topics the list is cut (the rest is one `/calea topics` away).
MAX_TOPIC_LINES = 60
TOPIC_LINES_PER_SECTION = 15


def _topic_line(topic: Topic) -> str:
    line = f"• `{escaped(single_line(topic.id), 64)}` {escaped(single_line(topic.title), 120)}"
    if topic.description:
        line += f" — {escaped(single_line(topic.description), 200)}"
    return line


def render_home(
    *,
    health_line: str,
    latest: Sequence[ItemRef],
    topics: Sequence[Topic],
    paused: Sequence[str] = (),
) -> dict:
    """The home view: health, up to 10 latest items, the topic list and how to subscribe.

    `paused` lists Slack destinations the bot stopped posting to, with the reason.
    """
    blocks: list[dict] = [
        header("calea-bot: U.S. telecom regulation"),
        section(f"*Sources:* {escaped(single_line(health_line), 1000)}"),
    ]
    for reason in paused[:5]:
        blocks.append(context(f":warning: Paused: {escaped(single_line(reason), 500)}"))
    blocks.append(header("Latest alerts"))
    if latest:
        blocks.extend(item_section(item, with_summary=False) for item in latest[:10])
    else:
        blocks.append(section("Nothing stored yet: the first poll has not finished."))
    blocks.append(header("Topics"))
    lines = [_topic_line(t) for t in topics[:MAX_TOPIC_LINES]]
    for start in range(0, len(lines), TOPIC_LINES_PER_SECTION):
        blocks.append(section("\n".join(lines[start : start + TOPIC_LINES_PER_SECTION])))
    if len(topics) > MAX_TOPIC_LINES:
        blocks.append(context(f"… and {len(topics) - MAX_TOPIC_LINES} more: `/calea topics`"))
    blocks.append(
        context(
            "In a channel: `/calea subscribe &lt;topic&gt; [daily]` · `/calea latest` · "
            "`/calea search &lt;words&gt;` · `/calea help`"
        )
    )
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
