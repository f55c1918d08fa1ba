"""Topic classification: realistic titles against the real feeds.yaml, rule strength, order,
and an equivalence check of the fast classifier against a slow, obviously-correct one."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from bot.analysis.topics import (
    MAX_SEARCHED_CHARS,
    TopicClassifier,
    classify,
    keyword_regex,
    required_literals,
    searchable_text,
)
from bot.config import load_config
from bot.models import Identifiers, ParsedItem, Topic, TopicMatch

REAL_FEEDS = Path(__file__).resolve().parents[2] / "feeds.yaml"


@pytest.fixture(scope="module")
def classifier() -> TopicClassifier:
    return TopicClassifier(load_config(REAL_FEEDS).topics)


def topics_of(
    classifier: TopicClassifier,
    title: str,
    text: str = "",
    dockets: tuple[str, ...] = (),
    source_topics: tuple[str, ...] = (),
) -> dict[str, str]:
    item = ParsedItem(title=title, text=text)
    matches = classifier.classify(item, Identifiers(dockets=dockets), source_topics)
    return {match.topic: match.rule for match in matches}


# --- realistic items against the real rules -----------------------------------------------------


def test_calea_rescission_with_docket(classifier: TopicClassifier) -> None:
    title = "FCC Rescinds CALEA Declaratory Ruling, PS Docket No. 22-329"
    found = topics_of(classifier, title, dockets=("PS 22-329",))
    assert found["calea"] == "docket PS 22-329"  # docket beats the keyword in the title
    assert list(found)[0] == "calea"


def test_calea_by_keyword_without_identifiers(classifier: TopicClassifier) -> None:
    found = topics_of(classifier, "FCC Rescinds CALEA Declaratory Ruling")
    assert found == {"calea": 'keyword "CALEA"'}


def test_keyword_is_case_insensitive_and_phrase_aware(classifier: TopicClassifier) -> None:
    text = "Carriers must meet the communications assistance for law\nenforcement act."
    assert topics_of(classifier, "Notice", text)["calea"] == (
        'keyword "Communications Assistance for Law Enforcement Act"'
    )


def test_stir_shaken_is_robocalls(classifier: TopicClassifier) -> None:
    found = topics_of(classifier, "Comment Sought on STIR/SHAKEN Third-Party Signing")
    assert found == {"robocalls": 'keyword "STIR/SHAKEN"'}
    spaced = topics_of(classifier, "Carriers implement STIR / SHAKEN")
    assert spaced == {"robocalls": r"pattern /\bSTIR\s*\/\s*SHAKEN\b/"}
    assert topics_of(classifier, "New robo-calling rules")["robocalls"].startswith("pattern /")


def test_bare_security_is_not_cybersecurity(classifier: TopicClassifier) -> None:
    for title in (
        "Security",
        "Homeland security officials visit the FCC",
        "National security review of foreign ownership applications",
        "Public safety and security communications update",
    ):
        assert "cybersecurity" not in topics_of(classifier, title), title
    assert topics_of(classifier, "Salt Typhoon hacked telecom networks")["cybersecurity"] == (
        'keyword "Salt Typhoon"'
    )


def test_hyphen_and_space_variants(classifier: TopicClassifier) -> None:
    found = topics_of(classifier, "Rip-and-replace program gets more funding")
    assert found["supply-chain"] == 'keyword "rip and replace"'
    assert topics_of(classifier, "Upper C band auction")["spectrum"] == 'keyword "upper C-band"'


def test_word_boundaries(classifier: TopicClassifier) -> None:
    assert "calea" in topics_of(classifier, "What CALEA's section 105 requires")
    assert "calea" not in topics_of(classifier, "CALEAX and PRECALEA are not words")
    assert "supply-chain" not in topics_of(classifier, "ZTEX launches a router")
    assert "911-outages" not in topics_of(classifier, "E9110 modem firmware")


def test_brand_names_and_lookalikes_stay_out(classifier: TopicClassifier) -> None:
    assert "spectrum" not in topics_of(classifier, "Charter's Spectrum Mobile adds 500,000 lines")
    assert "spectrum" in topics_of(classifier, "FCC opens the 3.98-4.2 GHz band")
    assert "broadband-usf" not in topics_of(classifier, "988 Suicide & Crisis Lifeline georouting")
    assert "broadband-usf" in topics_of(classifier, "Lifeline program reforms")


def test_other_domain_topics(classifier: TopicClassifier) -> None:
    cases = {
        "Submarine cable landing license rules": "submarine-cables",
        "U.S. Cyber Trust Mark program update": "cyber-trust-mark",
        "FCC proposes fine for 911 outage": "911-outages",
        "Carriers must report data breaches to the FCC": "privacy-cpni",
        "Universal Service Contribution Factor for Q1": "broadband-usf",
        "FCC adds equipment to the Covered List": "supply-chain",
    }
    for title, topic in cases.items():
        assert topic in topics_of(classifier, title), title


def test_categories_are_searched(classifier: TopicClassifier) -> None:
    item = ParsedItem(title="Advisory", categories=("Ransomware",))
    assert classifier.classify(item, Identifiers()) == (
        TopicMatch("cybersecurity", 'keyword "ransomware"'),
    )


# --- source defaults, order, strength -----------------------------------------------------------


def test_source_default_applied_when_nothing_matches(classifier: TopicClassifier) -> None:
    found = topics_of(classifier, "ICS advisory for a PLC", source_topics=("cybersecurity",))
    assert found == {"cybersecurity": "source default"}


def test_source_default_never_hides_a_real_rule(classifier: TopicClassifier) -> None:
    found = topics_of(classifier, "Ransomware at a utility", source_topics=("cybersecurity",))
    assert found == {"cybersecurity": 'keyword "ransomware"'}


def test_unknown_source_topic_is_ignored(classifier: TopicClassifier) -> None:
    assert topics_of(classifier, "Nothing", source_topics=("not-a-topic",)) == {}


def test_order_follows_config_not_text(classifier: TopicClassifier) -> None:
    title = "Lifeline, spectrum auction, robocall and CALEA news"
    found = topics_of(classifier, title, source_topics=("cybersecurity",))
    assert list(found) == ["calea", "cybersecurity", "robocalls", "spectrum", "broadband-usf"]
    assert list(found) == [t for t in classifier.topic_ids if t in found]


def test_strength_docket_keyword_pattern() -> None:
    topic = Topic(
        id="t", title="T", keywords=("alpha",), patterns=("be+ta",), dockets=("PS 22-329",)
    )
    rules = TopicClassifier([topic])

    def rule(title: str, dockets: tuple[str, ...] = ()) -> str | None:
        matches = rules.classify(ParsedItem(title=title), Identifiers(dockets=dockets), ("t",))
        return matches[0].rule if matches else None

    assert rule("alpha beeta", ("PS 22-329",)) == "docket PS 22-329"
    assert rule("beeta alpha") == 'keyword "alpha"'  # a keyword anywhere beats a pattern
    assert rule("beeta") == "pattern /be+ta/"
    assert rule("nothing") == "source default"


def test_first_keyword_in_text_is_reported_longest_on_tie() -> None:
    topic = Topic(id="usf", title="USF", keywords=("universal service", "Universal Service Fund"))
    rules = TopicClassifier([topic])
    item = ParsedItem(title="The universal service fund grows")
    assert rules.classify(item, Identifiers())[0].rule == 'keyword "Universal Service Fund"'


def test_function_form_matches_class(classifier: TopicClassifier) -> None:
    topics = load_config(REAL_FEEDS).topics
    item = ParsedItem(title="STIR/SHAKEN and CALEA", text="Salt Typhoon")
    ids = Identifiers(dockets=("WC 17-97",))
    assert classify(item, ids, topics, ("spectrum",)) == classifier.classify(
        item, ids, ("spectrum",)
    )


def test_hostile_text_is_capped_and_safe(classifier: TopicClassifier) -> None:
    huge = "x" * MAX_SEARCHED_CHARS + " CALEA"
    assert "calea" not in topics_of(classifier, "t", huge)
    weird = "\x00\ufffd\U0001f600 \u202e CALEA\u200b \u0130\u0131 " * 10
    assert "calea" in topics_of(classifier, "t", weird)
    assert len(searchable_text(ParsedItem(title="a", text="b" * 200_000))) == MAX_SEARCHED_CHARS


# --- the fast path gives the same answers as the obvious one ------------------------------------


def reference_classify(
    item: ParsedItem, ids: Identifiers, topics: list[Topic], source_topics: tuple[str, ...]
) -> tuple[TopicMatch, ...]:
    """Slow and obvious: every rule of every topic runs over the whole text."""
    text = searchable_text(item)
    found = []
    for topic in topics:
        rule = next((f"docket {d}" for d in ids.dockets if d in topic.dockets), None)
        if rule is None and topic.keywords:
            by_key = {re.sub(r"[\s\-]+", " ", k.casefold()).strip(): k for k in topic.keywords}
            keys = sorted(topic.keywords, key=len, reverse=True)
            alternation = "|".join(keyword_regex(k) for k in keys)
            match = re.search(rf"(?<!\w)(?:{alternation})(?!\w)", text, re.IGNORECASE)
            if match:
                key = re.sub(r"[\s\-]+", " ", match.group().casefold()).strip()
                rule = f'keyword "{by_key[key]}"'
        if rule is None:
            matching = [p for p in topic.patterns if re.search(p, text, re.IGNORECASE)]
            if matching:
                rule = "pattern /" + re.sub(r"(?<!\\)/", r"\/", matching[0]) + "/"
        if rule is None and topic.id in source_topics:
            rule = "source default"
        if rule is not None:
            found.append(TopicMatch(topic.id, rule))
    return tuple(found)


_VOCABULARY_TEXT = (
    "the FCC carriers network security CALEA lawful intercept lawfully authorized interception "
    "STIR/SHAKEN STIR SHAKEN robocall robo-calls Salt Volt Typhoon hacked cyber-attack cyber "
    "attacks Covered List rip and replace rip-and-replace foreign adversary adversaries test labs "
    "submarine undersea cable cables landing licence license Cyber Trust Mark IoT labeling "
    "labelling 911 E911 outage outages reporting NORS DIRS CPNI data breach SIM swap swapping "
    "spectrum auction Auction 108 3.7 GHz 600 MHz C-band upper Lifeline crisis E-Rate BEAD ACP "
    "universal service fund USF xcalea calea_x l\u0131feline SP\u0130ECTRUM \u212aaspersky 47 CFR "
    "1.20003 CVE-2025-12345 – — “ ” § , . ; ( ) / -"
)
VOCABULARY = _VOCABULARY_TEXT.split()


def test_fast_classifier_equals_reference_on_random_text() -> None:
    topics = list(load_config(REAL_FEEDS).topics) + [
        Topic(id="odd", title="Odd", keywords=("§ 1.2", "naïve café", "a-b c"), patterns=("x?y",)),
        Topic(id="grouped", title="G", patterns=(r"(ab)\1", r"(?:foo|bar)+baz", r"\d{3}-\d{4}")),
    ]
    fast = TopicClassifier(topics)
    rng = random.Random(20251120)
    vocabulary = VOCABULARY + ["naïve", "café", "a-b", "c", "abab", "foobarbaz", "555-1234", "y"]
    differences = []
    for _ in range(1000):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(1, 25))]
        separators = [rng.choice((" ", " ", "-", "\n", "", "/")) for _ in words]
        text = "".join(w + s for w, s in zip(words, separators, strict=True))
        item = ParsedItem(title=text[: len(text) // 3], text=text[len(text) // 3 :])
        ids = Identifiers(dockets=tuple(rng.sample(["PS 22-329", "WC 17-97", "XX 00-1"], 1)))
        defaults = ("cybersecurity",) if rng.random() < 0.3 else ()
        expected = reference_classify(item, ids, topics, defaults)
        if fast.classify(item, ids, defaults) != expected:
            differences.append((item, fast.classify(item, ids, defaults), expected))
    assert differences == []


# --- the literal pre-check never claims a literal a match could lack -----------------------------


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"\bstir\s*/\s*shaken\b", ("shaken",)),
        (r"\b(?:salt|volt)\s+typhoon\b", ("typhoon",)),
        (r"\bsubmarine|undersea\b", ("submarine", "undersea")),
        (r"\bCVE-\d{4}", ("cve-",)),
        (r"(?:ab)+cd", ("ab",)),
        (r"x?y", None),
        (r"a|", None),
        (r"[a-z]+", None),
        (r"é+xyz", ("xyz",)),
    ],
)
def test_required_literals(pattern: str, literals: tuple[str, ...] | None) -> None:
    assert required_literals(pattern) == literals


def test_function_form_follows_the_topics_it_is_given() -> None:
    item = ParsedItem(title="alpha beta")
    first = (Topic(id="a", title="A", keywords=("alpha",)),)
    second = [Topic(id="b", title="B", keywords=("beta",))]
    assert [m.topic for m in classify(item, Identifiers(), first)] == ["a"]
    assert [m.topic for m in classify(item, Identifiers(), second)] == ["b"]
    second.append(Topic(id="c", title="C", patterns=("alpha",)))
    assert [m.topic for m in classify(item, Identifiers(), second)] == ["b", "c"]
    assert [m.topic for m in classify(item, Identifiers(), first)] == ["a"]
