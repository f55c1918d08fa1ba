"""`latest [topic] [n]` and `search <words> [--page N]`: reading stored items."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.commands.arguments import CommandError, parse_count, resolve_topics, shown
from bot.commands.compose import compose
from bot.commands.context import CommandContext, CommandServices
from bot.commands.feeds import source_names
from bot.commands.help import usage_of
from bot.commands.item_refs import item_ref, one_per_event
from bot.commands.reply import Block, Button, Heading, Paragraph, Reply
from bot.store.queries import fts_query

LATEST_DEFAULT = 5
LATEST_MAX = 20
PAGE_SIZE = 5
MAX_PAGE = 100
_PAGE_FLAG = re.compile(r"^--page(?:=(.*))?$", re.IGNORECASE)
_SEPARATOR = re.compile(r"[^\w.\-/]")  # never part of a search word (see fts_query)


def latest_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """The newest stored items, one per event, optionally in one topic."""
    usage = usage_of("latest")
    count: int | None = None
    topic_words: list[str] = []
    for word in args:
        number = parse_count(word)
        if number is None:
            topic_words.append(word)
        elif count is not None:
            raise CommandError("Give one number of items.", usage)
        elif not 1 <= number <= LATEST_MAX:
            raise CommandError(f"The number of items must be between 1 and {LATEST_MAX}.", usage)
        else:
            count = number
    if len(topic_words) > 1:
        raise CommandError("Give at most one topic.", usage)
    topic = None
    if topic_words:
        topic = resolve_topics(topic_words, services.config.topics, usage=usage)[0]
        if topic == "*":
            topic = None
    count = count or LATEST_DEFAULT
    stored = services.store.queries.latest(topic=topic, limit=count * 3)
    items = one_per_event(stored, count)
    where = f" in {topic}" if topic else ""
    if not items:
        return compose(Paragraph(f"No stored items{where} yet."))
    names = source_names(services)
    heading = f"Latest {len(items)} item{'s' if len(items) != 1 else ''}{where}"
    return compose(Heading(heading), *(item_ref(item, names) for item in items))


def parse_search(args: Sequence[str]) -> tuple[str, int]:
    """The query words and the page number from `search` arguments (--page N anywhere)."""
    usage = usage_of("search")
    page: int | None = None
    words: list[str] = []
    rest = list(args)
    while rest:
        word = rest.pop(0)
        flag = _PAGE_FLAG.match(word)
        if not flag:
            words.append(word)
            continue
        value = flag.group(1)
        if value is None:
            if not rest:
                raise CommandError("--page needs a number, e.g. --page 2.", usage)
            value = rest.pop(0)
        number = parse_count(value)
        if page is not None or number is None or not 1 <= number <= MAX_PAGE:
            raise CommandError(f"--page needs one number between 1 and {MAX_PAGE}.", usage)
        page = number
    return " ".join(words), page or 1


def search_command(args: Sequence[str], ctx: CommandContext, services: CommandServices) -> Reply:
    """Full-text search, newest first, with a button for the next page."""
    usage = usage_of("search")
    query, page = parse_search(args)
    if not query:
        raise CommandError("Give some words to search for.", usage)
    if fts_query(query) is None:
        raise CommandError(
            "Nothing to search for: use words made of letters or digits, e.g. search CALEA.",
            usage,
        )
    found = services.store.queries.search(query, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    label = f"“{shown(query, 80)}”"
    if not found:
        message = (
            f"No stored items match {label}."
            if page == 1
            else f"No more results for {label} (page {page})."
        )
        return compose(Paragraph(message, untrusted=True))
    names = source_names(services)
    shown_items = found[:PAGE_SIZE]
    first = (page - 1) * PAGE_SIZE + 1
    blocks: list[Block] = [
        Heading(f"Search results {first}–{first + len(shown_items) - 1}"),
        Paragraph(f"For {label}, newest first.", untrusted=True),
        *(item_ref(item, names) for item in shown_items),
    ]
    if len(found) > PAGE_SIZE:
        # Markup becomes spaces: the same words are searched, and the command stays inert.
        words = " ".join(_SEPARATOR.sub(" ", query).split())
        blocks.append(Button("Next page", command=f"search --page {page + 1} {words}"))
    return compose(*blocks)
