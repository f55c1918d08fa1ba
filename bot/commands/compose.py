"""Building a `Reply` from blocks, with a plain-text fallback that says the same thing."""

from __future__ import annotations

from collections.abc import Iterable

from bot.commands.reply import Block, Button, Facts, Heading, ItemRef, Paragraph, Reply


def fallback_text(blocks: Iterable[Block]) -> str:
    """The blocks as plain text: what notifications and text-only clients show.

    It carries the same untrusted text as the blocks, so renderers escape it too.
    """
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            if lines:
                lines.append("")
            lines.append(block.text)
        elif isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Facts):
            lines.extend(f"{label}: {value}" for label, value in block.pairs)
        elif isinstance(block, ItemRef):
            lines.extend(_item_lines(block))
        elif isinstance(block, Button):
            target = block.command or block.url or ""
            lines.append(f"{block.label}: {target}")
    return "\n".join(lines)


def _item_lines(item: ItemRef) -> list[str]:
    when = item.published.date().isoformat() if item.published else "undated"
    lines = [f"• {item.title} ({item.source}, {when})"]
    if item.link:
        lines.append(f"  {item.link}")
    return lines


def compose(
    *blocks: Block,
    in_channel: bool = False,
    changed: bool = False,
    text: str | None = None,
) -> Reply:
    """A successful reply; `text` defaults to the fallback rendering of the blocks."""
    return Reply(
        text=text if text is not None else fallback_text(blocks),
        blocks=blocks,
        in_channel=in_channel,
        changed=changed,
    )
