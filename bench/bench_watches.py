"""Watch-matching benchmark: 25,000 new items against 10,000 watches across 500 channels.

    .venv/bin/python bench/bench_watches.py          # best of 5 runs
    .venv/bin/python bench/bench_watches.py --runs 9 # a steadier minimum
    .venv/bin/python bench/bench_watches.py --runs 1

What is timed (CPU, time.process_time) is the alert policy's part of a full cycle: building
the watch index once, then `decide_alerts` for 500 polls of 50 new events each (topic
subscriptions and watches together), as `store_items` calls it. Items are ~670 characters of
regulatory text (the extraction corpus's average) naming 2-6 of 5,000 specific terms
(companies, programmes); watches are 40 % dockets, 40 % phrases (a specific term plus up to
two common words), 20 % tracked matters; 50 channels also subscribe to one of 10 topics.
Reported: the policy with and without watches; their difference is what watches cost.
The target is ≤ 10 % of the full cycle's CPU (10.5 s, README).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from bot.alerts.policy import AlertLimits, NewEvent, PollChanges, decide_alerts
from bot.alerts.watches import WatchIndex
from bot.models import Subscription, Watch

FULL_CYCLE_CPU_SECONDS = 10.5
CHANNELS, WATCHES, ITEMS, PER_POLL = 500, 10_000, 25_000, 50
PREFIXES = ("PS", "WC", "ET", "GN", "CG", "MB", "OI", "MD", "WT", "IB")
_TEXT = (
    "commission network security carriers lawful intercept robocall mitigation database "
    "submarine cable licensees certification supply chain equipment authorization covered "
    "list reimbursement broadband spectrum auction wireless emergency alert outage reporting "
    "rulemaking comments reply order reconsideration declaratory ruling notice proposed "
    "federal register effective compliance deadline petition waiver bureau enforcement"
)
WORDS = tuple(_TEXT.split(" "))
TOPICS = tuple(f"topic{n}" for n in range(10))
MATTERS = tuple(f"matter-{n}" for n in range(40))
# Names, companies and terms of art: what people watch. Each item mentions a few of them.
TERMS = tuple(f"term{n}" for n in range(5_000))


def docket(rng: random.Random) -> str:
    return f"{rng.choice(PREFIXES)} {rng.randint(17, 26)}-{rng.randint(1, 600)}"


def make_watches(rng: random.Random) -> list[Watch]:
    watches = []
    for n in range(WATCHES):
        channel = n % CHANNELS
        roll = rng.random()
        mode = "daily" if rng.random() < 0.3 else "realtime"
        if roll < 0.4:
            watches.append(Watch(channel, "docket", docket(rng), mode))
        elif roll < 0.8:
            rest = [rng.choice(WORDS) for _ in range(rng.randint(0, 2))]
            phrase = " ".join([rng.choice(TERMS), *rest])
            watches.append(Watch(channel, "phrase", phrase, mode))
        else:
            watches.append(Watch(channel, "matter", rng.choice(MATTERS), mode))
    return watches


def make_events(rng: random.Random) -> list[NewEvent]:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    events = []
    for n in range(ITEMS):
        words = [rng.choice(WORDS) for _ in range(rng.randint(55, 85))]
        for _ in range(rng.randint(2, 6)):
            words.insert(rng.randrange(len(words)), rng.choice(TERMS))
        dockets = tuple(docket(rng) for _ in range(rng.randint(0, 2)))
        text = " ".join(words).capitalize() + ". " + "; ".join(f"{d} Docket" for d in dockets)
        matters = (rng.choice(MATTERS),) if rng.random() < 0.05 else ()
        events.append(NewEvent(n + 1, (rng.choice(TOPICS),), now, dockets, matters, text))
    return events


def one_run(watches: list[Watch], events: list[NewEvent], subs: list[Subscription]) -> tuple:
    started = time.process_time()
    index = WatchIndex.build(watches)
    queued = 0
    limits = AlertLimits(max_alerts_per_poll=PER_POLL)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for start in range(0, len(events), PER_POLL):
        decision = decide_alerts(
            PollChanges(new_events=events[start : start + PER_POLL]),
            subs,
            {},
            source_name="bench",
            first_poll=False,
            limits=limits,
            now=now,
            watches=index,
            matter_dockets={m: () for m in MATTERS},
        )
        queued += len(decision.alerts)
    return time.process_time() - started, queued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(9)
    watches, events = make_watches(rng), make_events(rng)
    subs = [Subscription(c, TOPICS[c % len(TOPICS)]) for c in range(0, CHANNELS, 10)]
    best, queued = min(one_run(watches, events, subs) for _ in range(args.runs))
    without, topic_alerts = min(one_run([], events, subs) for _ in range(args.runs))
    cost = max(0.0, best - without)
    chars = sum(len(e.text) for e in events) // len(events)
    print(f"{ITEMS:,} items ({chars} chars on average) × {WATCHES:,} watches, {CHANNELS} channels")
    print(f"policy with watches: {best:.3f} s CPU (best of {args.runs}); {queued:,} alerts")
    print(f"policy without watches: {without:.3f} s CPU; {topic_alerts:,} alerts")
    print(
        f"watches cost {cost:.3f} s CPU = {100 * cost / FULL_CYCLE_CPU_SECONDS:.1f} % of the "
        f"full cycle's {FULL_CYCLE_CPU_SECONDS} s (target ≤ 10 %); the whole policy "
        f"{100 * best / FULL_CYCLE_CPU_SECONDS:.1f} %"
    )


if __name__ == "__main__":
    main()
