"""`status docket PS 22-329`: what the bot knows about any docket, tracked matter or not."""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.compose import compose
from bot.commands.context import CommandContext, CommandServices
from bot.commands.feeds import source_names
from bot.commands.item_refs import item_ref, one_per_event
from bot.commands.reply import Block, Facts, Heading, Paragraph, Reply
from bot.commands.subscriptions import channel_destination
from bot.commands.watches import parse_docket
from bot.feeds.ecfs import FILING_DOC_TYPE
from bot.models import DATE_LABELS
from bot.store.watches import docket_counts

ITEMS_SHOWN = 5
DATES_SHOWN = 5
USAGE = "status docket <docket>, e.g. status docket PS 22-329"


def docket_status(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """Items citing the docket, its upcoming dates, filings, matters and this channel's watch."""
    docket = parse_docket(" ".join(args), USAGE)
    store = services.store
    counts = docket_counts(store.db, docket, FILING_DOC_TYPE)
    matters = [m.id for m in services.config.matters if docket in m.dockets]
    destination = channel_destination(ctx, services)
    watched = destination is not None and any(
        w.kind == "docket" and w.value == docket for w in store.watches.of(destination.id)
    )
    filings = str(counts.filings)
    if counts.filings and counts.last_filing:
        filings += f" (newest {counts.last_filing[:10]})"
    blocks: list[Block] = [
        Heading(f"Status: docket {docket}"),
        Facts(
            (
                ("Items citing it", str(counts.items - counts.filings)),
                ("ECFS filings seen", filings),
                ("Tracked matters", ", ".join(matters) or "none"),
                ("This channel", "watches it" if watched else "does not watch it"),
            )
        ),
    ]
    stored = store.queries.docket_items(docket, limit=ITEMS_SHOWN * 3)
    today = ctx.now.date()
    upcoming = sorted({(d.date, d.kind) for item in stored for d in item.dates if d.date >= today})[
        :DATES_SHOWN
    ]
    if upcoming:
        blocks.append(Heading("Coming up"))
        blocks.append(
            Facts(tuple((day.isoformat(), DATE_LABELS.get(kind, kind)) for day, kind in upcoming))
        )
    items = one_per_event(stored, ITEMS_SHOWN)
    blocks.append(Heading("Latest items"))
    if items:
        names = source_names(services)
        blocks.extend(item_ref(item, names) for item in items)
    else:
        blocks.append(Paragraph(f"No source has mentioned {docket} yet."))
    if not watched:
        blocks.append(Paragraph(f"To hear about it here: watch docket {docket}"))
    return compose(*blocks)
