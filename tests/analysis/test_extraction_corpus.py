"""Measured extraction accuracy: precision and recall per field on a hand-labelled corpus.

The corpus (tests/analysis/corpus/extraction.yaml) holds real FCC and Federal Register passages,
cited and labelled by hand, plus clearly marked typography variants. Every field must reach
`THRESHOLD` precision and recall; the table is printed so `pytest -s` shows it, and it is added
to the terminal summary by tests/analysis/conftest.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from bot.analysis.extract import extract_identifiers
from bot.models import Identifiers, ParsedItem

CORPUS = Path(__file__).parent / "corpus" / "extraction.yaml"
FIELDS = ("dockets", "fcc_numbers", "fr_documents", "rm_numbers", "dates")
THRESHOLD = 0.97
FR_LINK = "https://www.federalregister.gov/d/{}"

REPORT: list[str] = []  # read by conftest.pytest_terminal_summary


@dataclass
class Score:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positive + self.false_negative
        return self.true_positive / expected if expected else 1.0


def load_corpus() -> list[dict]:
    with CORPUS.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _day(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _date_labels(labels: Iterable[dict]) -> set[str]:
    out = set()
    for label in labels or ():
        if "days" in label:
            out.add(f"{label['kind']} +{int(label['days'])}d")
        else:
            out.add(f"{label['kind']} {_day(label['date'])}")
    return out


def item_for(entry: dict) -> ParsedItem:
    """The passage as the bot would see it: the text of an item, FR items with their identity."""
    published = entry.get("published")
    when = None
    if published:
        day = published if isinstance(published, dt.date) else dt.date.fromisoformat(published)
        when = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    link = None
    if entry.get("fr_publication"):
        link = "https://www.federalregister.gov/documents/"  # an FR page, number unknown
    return ParsedItem(title="", text=entry["text"], published=when, link=link)


def predicted(ids: Identifiers) -> dict[str, set[str]]:
    dockets = {d for d in ids.dockets if not d.startswith("RM-")}
    rm = {d for d in ids.dockets if d.startswith("RM-")}
    dates = {f"{d.kind} {d.date.isoformat()}" for d in ids.dates}
    dates |= {f"{r.kind} +{r.days}d" for r in ids.relative_dates}
    return {
        "dockets": dockets,
        "fcc_numbers": set(ids.fcc_numbers),
        "fr_documents": set(ids.fr_numbers),
        "rm_numbers": rm,
        "dates": dates,
    }


def expected(entry: dict) -> dict[str, set[str]]:
    out = {name: {str(v) for v in entry.get(name) or ()} for name in FIELDS[:-1]}
    out["dates"] = _date_labels(entry.get("dates"))
    return out


def score_corpus(entries: list[dict]) -> dict[str, Score]:
    scores = {name: Score() for name in FIELDS}
    for entry in entries:
        got = predicted(extract_identifiers(item_for(entry)))
        want = expected(entry)
        optional = _date_labels(entry.get("dates_optional"))
        for name in FIELDS:
            found, truth = got[name], want[name]
            if name == "dates":
                found = found - (optional - truth)
            score = scores[name]
            score.true_positive += len(found & truth)
            score.false_positive += len(found - truth)
            score.false_negative += len(truth - found)
            score.misses.extend(f"{entry['id']}: {v}" for v in sorted(truth - found))
            score.extras.extend(f"{entry['id']}: {v}" for v in sorted(found - truth))
    return scores


def format_table(scores: dict[str, Score], entries: list[dict]) -> list[str]:
    real = sum(1 for e in entries if not e.get("variant"))
    lines = [
        f"extraction corpus: {len(entries)} passages ({real} real, {len(entries) - real} variants)",
        f"{'field':<14}{'labels':>8}{'found':>8}{'precision':>11}{'recall':>8}",
    ]
    for name, s in scores.items():
        labels = s.true_positive + s.false_negative
        found = s.true_positive + s.false_positive
        lines.append(f"{name:<14}{labels:>8}{found:>8}{s.precision:>11.3f}{s.recall:>8.3f}")
    return lines


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return load_corpus()


def test_corpus_is_mostly_real_and_cited(corpus: list[dict]) -> None:
    real = [e for e in corpus if not e.get("variant")]
    assert len(real) >= 150
    assert all(e.get("source") for e in corpus)
    assert len({e["id"] for e in corpus}) == len(corpus)


def test_precision_and_recall_per_field(corpus: list[dict]) -> None:
    scores = score_corpus(corpus)
    table = format_table(scores, corpus)
    REPORT[:] = table
    print("\n" + "\n".join(table))
    failing = {
        name: {"misses": s.misses[:15], "extras": s.extras[:15]}
        for name, s in scores.items()
        if s.precision < THRESHOLD or s.recall < THRESHOLD
    }
    assert not failing, "\n".join(table) + f"\nbelow {THRESHOLD}: {failing}"


def test_the_scorer_can_fail() -> None:
    """A deliberately wrong label must lower the score: the gate is not vacuous."""
    entry = {"id": "x", "text": "WC Docket No. 17-97", "dockets": ["WC 17-98"]}
    scores = score_corpus([entry])
    assert scores["dockets"].precision == 0.0
    assert scores["dockets"].recall == 0.0
