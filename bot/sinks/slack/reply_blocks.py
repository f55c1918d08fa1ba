"""Command replies (`bot.commands.reply.Reply`) as Slack Block Kit (pure, no I/O).

All text is escaped, trusted or not: the bot's own help text says things like
`subscribe <topic>`, which Slack would otherwise read as a link. Untrusted text is also
carried in verbatim mrkdwn and links are http(s) only. Replies too long for one message are
cut at a block boundary with a note saying how much was left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from bot.commands.reply import Block, Button, Facts, Heading, ItemRef, Paragraph, Reply
from bot.common.text_safety import inert
from bot.sinks.slack.kit import (
    MAX_BLOCKS,
    MAX_BUTTON_VALUE,
    MAX_FALLBACK_TEXT,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_MESSAGE_BYTES,
    MAX_SECTION_TEXT,
    actions,
    button,
    context,
    entry_text,
    fields_section,
    header,
    message_size,
    section,
)
from bot.sinks.slack.mrkdwn import escape_mrkdwn, escaped, safe_url, single_line, tidy

#: action_id prefix of buttons that run a follow-up command; the button's value is the command.
COMMAND_ACTION = "calea_command"
#: action_id prefix of link buttons in replies.
REPLY_OPEN_ACTION = "calea_open"
#: A Slack user id that may be mentioned (nothing else gets inside `<@…>`).
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


def _paragraph(text: str) -> Iterator[dict]:
    """A paragraph as one or more sections of ≤ 3000 characters, split at line breaks."""
    lines = [escape_mrkdwn(line.rstrip()) for line in inert(text).splitlines()]
    chunk: list[str] = []
    size = 0
    for line in lines:
        if chunk and size + len(line) + 1 > MAX_SECTION_TEXT:
            yield section("\n".join(chunk))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if any(chunk):
        yield section("\n".join(chunk))


def _mentioning(block: Paragraph) -> list[dict] | None:
    """A paragraph whose leading user name becomes a mention `<@U…>` (id checked), else None."""
    if block.mention is None:
        return None
    user_id, name = block.mention
    if not _USER_ID.match(user_id) or not block.text.startswith(name):
        return None
    sections = list(_paragraph(block.text[len(name) :]))
    if not sections:
        return None
    first = sections[0]["text"]
    first["text"] = f"<@{user_id}>" + first["text"]
    return sections


def _facts(facts: Facts) -> Iterator[dict]:
    fields = [
        f"*{escaped(single_line(label), 200)}*\n{escaped(tidy(value), MAX_FIELD_TEXT - 210)}"
        for label, value in facts.pairs
    ]
    for start in range(0, len(fields), MAX_FIELDS):
        yield fields_section(fields[start : start + MAX_FIELDS])


def item_section(item: ItemRef, *, with_summary: bool = True) -> dict:
    """A stored item as one section: linked title, source, date, topics, references."""
    return section(entry_text(item, with_summary=with_summary))


def _buttons(buttons: Sequence[Button], first_index: int) -> dict | None:
    elements = []
    for offset, spec in enumerate(buttons):
        index = first_index + offset
        url = safe_url(spec.url)
        if url is not None:
            elements.append(button(spec.label, f"{REPLY_OPEN_ACTION}_{index}", url=url))
        elif spec.command and len(spec.command) <= MAX_BUTTON_VALUE:
            elements.append(button(spec.label, f"{COMMAND_ACTION}_{index}", value=spec.command))
    return actions(elements) if elements else None


def _render_blocks(blocks: Sequence[Block]) -> list[dict]:
    rendered: list[dict] = []
    pending: list[Button] = []
    button_count = 0

    def flush() -> None:
        nonlocal button_count
        if pending:
            block = _buttons(pending, button_count)
            button_count += len(pending)
            if block is not None:
                rendered.append(block)
            pending.clear()

    for block in blocks:
        if isinstance(block, Button):
            pending.append(block)
            continue
        flush()
        if isinstance(block, Heading):
            rendered.append(header(block.text))
        elif isinstance(block, Paragraph):
            rendered.extend(_mentioning(block) or _paragraph(block.text))
        elif isinstance(block, Facts):
            rendered.extend(_facts(block))
        elif isinstance(block, ItemRef):
            rendered.append(item_section(block))
    flush()
    return rendered


def fit_blocks(blocks: list[dict], *, max_blocks: int, max_bytes: int) -> list[dict]:
    """Keep the first blocks that fit; say how many were left out."""
    if len(blocks) <= max_blocks and message_size(blocks) <= max_bytes:
        return blocks
    kept: list[dict] = []
    size = 0
    for block in blocks:
        block_size = message_size([block]) + 1
        if len(kept) + 2 > max_blocks or size + block_size > max_bytes - 300:
            break
        kept.append(block)
        size += block_size
    left_out = len(blocks) - len(kept)
    return [*kept, context(f"… {left_out} more not shown. Narrow the request to see them.")]


def render_reply(reply: Reply, *, max_blocks: int = MAX_BLOCKS) -> dict:
    """A reply as `{"blocks": [...], "text": ...}` ready for respond() or chat.postMessage."""
    blocks = fit_blocks(
        _render_blocks(reply.blocks), max_blocks=max_blocks, max_bytes=MAX_MESSAGE_BYTES
    )
    text = escaped(tidy(reply.text), MAX_FALLBACK_TEXT) or "calea-bot"
    if not blocks:
        blocks = [section(text)]
    return {"blocks": blocks, "text": text}
