"""latest and search over real stored items."""

from __future__ import annotations

from bot.commands.reply import Button, ItemRef
from tests.commands.conftest import NOW, ingest, parsed, run


def titles(reply) -> list[str]:
    return [b.title for b in reply.blocks if isinstance(b, ItemRef)]


def buttons(reply) -> list[Button]:
    return [b for b in reply.blocks if isinstance(b, Button)]


def stock_many(store, config, count: int, text: str = "Lawful intercept.") -> None:
    """`count` CALEA items, item 0 the newest."""
    items = [
        parsed(f"CALEA compliance notice {n}", days_ago=n + 0.5, text=text, n=n)
        for n in range(count)
    ]
    ingest(store, config, "fcc-edocs", items)


def test_latest_defaults_to_five_newest_first(config, ctx, services, store):
    stock_many(store, config, 8)
    reply = run("latest", ctx, services)
    assert titles(reply) == [f"CALEA compliance notice {n}" for n in range(5)]
    first = next(b for b in reply.blocks if isinstance(b, ItemRef))
    assert first.source == "FCC EDOCS – all releases"
    assert first.topics == ("calea",)
    assert first.published == NOW.replace(hour=3)  # published 0.5 days before NOW


def test_latest_with_topic_and_count_in_any_order(ctx, services, stocked):
    assert titles(run("latest cybersecurity 1", ctx, services)) == [
        "Salt Typhoon targets telecom networks"
    ]
    assert titles(run("latest 2 CALEA", ctx, services)) == [
        "Order on Reconsideration rescinds the CALEA declaratory ruling",
        "Lawful intercept capability: older CALEA guidance",
    ]
    assert len(titles(run("latest 20", ctx, services))) == 4


def test_latest_shows_one_item_per_event(config, ctx, services, stocked):
    same = parsed("Order on Reconsideration rescinds the CALEA declaratory ruling", days_ago=10)
    ingest(stocked, config, "federal-register-fcc", [same])
    shown = titles(run("latest calea", ctx, services))
    assert shown.count("Order on Reconsideration rescinds the CALEA declaratory ruling") == 1


def test_latest_in_an_empty_topic_says_so(ctx, services, stocked):
    reply = run("latest spectrum", ctx, services)
    assert reply.ok and reply.text == "No stored items in spectrum yet."


def test_latest_rejects_out_of_range_counts_and_unknown_topics(ctx, services):
    assert "between 1 and 20" in run("latest 50", ctx, services).text
    reply = run("latest robocals", ctx, services)
    assert not reply.ok and "Did you mean “robocalls”?" in reply.text


def test_search_pages_of_five_with_a_next_page_button(config, ctx, services, store):
    stock_many(store, config, 12)
    first = run("search lawful intercept", ctx, services)
    assert titles(first) == [f"CALEA compliance notice {n}" for n in range(5)]
    assert buttons(first) == [Button("Next page", command="search --page 2 lawful intercept")]
    second = run(buttons(first)[0].command, ctx, services)
    assert titles(second) == [f"CALEA compliance notice {n}" for n in range(5, 10)]
    assert "Search results 6–10" in second.text
    third = run("search lawful intercept --page=3", ctx, services)
    assert titles(third) == ["CALEA compliance notice 10", "CALEA compliance notice 11"]
    assert buttons(third) == []
    past_the_end = run("search --page 4 lawful intercept", ctx, services)
    assert past_the_end.ok and "No more results" in past_the_end.text


def test_search_with_no_match(ctx, services, stocked):
    reply = run("search spectrum auction", ctx, services)
    assert reply.ok and reply.text == "No stored items match “spectrum auction”."


def test_search_neutralises_query_syntax_and_markup(config, ctx, services, store):
    stock_many(store, config, 7, text="Lawful intercept near the channel.")
    reply = run('search <!channel> "lawful" NEAR(intercept) calea*', ctx, services)
    assert reply.ok
    assert "<!" not in reply.text
    assert buttons(reply)[0].command == "search --page 2 channel lawful NEAR intercept calea"
    sql = run("search '; DROP TABLE items; --", ctx, services)
    assert sql.ok and "No stored items match" in sql.text
    assert store.queries.item_count() == 7
