"""Plain data shared by every stage of the pipeline.

Nothing here does I/O. Stages pass these values along: config → fetch → parse → analyse →
store → outbox → sinks. Keeping them as frozen dataclasses makes stages easy to test and lets
the analysed items cross process boundaries (they pickle).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Health(StrEnum):
    """The state a source is in after its latest poll."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    BLOCKED = "blocked"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    CLIENT_ERROR = "client_error"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TOO_LARGE = "too_large"
    NOT_A_FEED = "not_a_feed"
    PARSE_ERROR = "parse_error"
    INVALID_URL = "invalid_url"

    @property
    def is_success(self) -> bool:
        """True when the source answered usefully (new content or unchanged)."""
        return self in (Health.OK, Health.NOT_MODIFIED)

    @property
    def explanation(self) -> str:
        """A human sentence describing the state, for status output."""
        return HEALTH_EXPLANATIONS[self]


HEALTH_EXPLANATIONS: dict[Health, str] = {
    Health.OK: "fetched and parsed",
    Health.NOT_MODIFIED: "unchanged since the last poll",
    Health.BLOCKED: "the site refuses automated requests (401/403); it may stay blocked",
    Health.NOT_FOUND: "the feed URL no longer exists (404/410); check feeds.yaml",
    Health.RATE_LIMITED: "the site asked us to slow down (429); polling less often",
    Health.SERVER_ERROR: "the site is failing (5xx); retrying with backoff",
    Health.CLIENT_ERROR: "the site rejected the request (4xx); check the URL",
    Health.TIMEOUT: "the site did not answer in time; retrying with backoff",
    Health.CONNECTION_ERROR: "could not connect (DNS, TLS or network error)",
    Health.TOO_MANY_REDIRECTS: "too many redirects (possible redirect loop)",
    Health.TOO_LARGE: "the response exceeded the size limit",
    Health.NOT_A_FEED: "the response is not a feed (HTML page, challenge page or no items)",
    Health.PARSE_ERROR: "the response could not be parsed as a feed",
    Health.INVALID_URL: "the URL is not an http(s) URL",
}


@dataclass(frozen=True)
class Source:
    """One feed to poll, as configured in feeds.yaml."""

    id: str
    name: str
    url: str
    kind: str = "auto"  # "auto" (RSS/Atom/RDF), "federal_register_json", "…_public_inspection"
    interval_seconds: int = 900
    topics: tuple[str, ...] = ()
    enabled: bool = True
    public_only: bool = False  # added from chat: never fetch non-public addresses for it
    docket: str | None = None  # ECFS filings sources: the docket polled ("PS 22-329")


@dataclass(frozen=True)
class Topic:
    """A subject teams subscribe to, with the rules that put an item in it."""

    id: str
    title: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()  # regular expressions, matched case-insensitively
    dockets: tuple[str, ...] = ()  # normalised docket ids, e.g. "PS 22-329"


@dataclass(frozen=True)
class TopicMatch:
    """Why an item is in a topic: the topic id and a readable description of the rule."""

    topic: str
    rule: str


@dataclass(frozen=True)
class MatterEvent:
    """One dated step in a tracked proceeding's timeline."""

    date: dt.date
    label: str
    state: str | None = None  # e.g. "adopted", "rescinded"; None for events that do not change it
    document: str | None = None  # e.g. "FCC 25-81", "2025-22830"
    url: str | None = None
    item_id: int | None = None  # set when the event came from a stored item


@dataclass(frozen=True)
class Matter:
    """A proceeding a team tracks for months: its dockets, documents and known timeline."""

    id: str
    title: str
    dockets: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    timeline: tuple[MatterEvent, ...] = ()


@dataclass(frozen=True)
class FetchSettings:
    """Limits for polite and safe fetching."""

    user_agent: str = "calea-bot/0.1 (+https://github.com/calea-bot/calea-bot)"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 30.0
    max_bytes: int = 10 * 1024 * 1024  # decompressed
    max_redirects: int = 5
    per_host_concurrency: int = 2
    total_concurrency: int = 32
    backoff_base_seconds: float = 60.0
    backoff_max_seconds: float = 6 * 3600.0


@dataclass(frozen=True)
class FetchResult:
    """What one HTTP poll of a source produced. Failures are data, never exceptions."""

    source_id: str
    url: str  # the final URL after redirects
    health: Health
    message: str = ""
    status_code: int | None = None
    body: bytes | None = None  # None unless health is OK (a 200 with content)
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    retry_after_seconds: float | None = None
    elapsed_seconds: float = 0.0


@dataclass(frozen=True)
class KeyDate:
    """A date that matters to compliance: comments close, effective, compliance."""

    kind: str  # "comments_close" | "reply_comments_close" | "effective" | "compliance"
    date: dt.date
    # "high" when the text states the date as the document's own; "low" for weaker readings
    # (an office notice that a filing procedure changes "effective <date>").
    confidence: str = "high"


@dataclass(frozen=True)
class RelativeDate:
    """A deadline stated relative to Federal Register publication ("30 days after publication")."""

    kind: str  # as KeyDate.kind
    days: int
    anchor: str = "federal_register_publication"


DATE_LABELS = {
    "comments_close": "comments due",
    "reply_comments_close": "reply comments due",
    "effective": "effective",
    "compliance": "compliance",
}


@dataclass(frozen=True)
class Identifiers:
    """Identifiers pulled out of an item's text and metadata (all normalised)."""

    dockets: tuple[str, ...] = ()  # "PS 22-329"
    fcc_numbers: tuple[str, ...] = ()  # "FCC 25-81", "DA 25-763"
    doc_ids: tuple[str, ...] = ()  # "DOC-415455A1"
    fr_numbers: tuple[str, ...] = ()  # "2025-22830"
    fr_citations: tuple[str, ...] = ()  # "90 FR 12345"
    dates: tuple[KeyDate, ...] = ()
    # Deadlines relative to an FR publication that is not known yet (resolved ones are in dates).
    relative_dates: tuple[RelativeDate, ...] = ()
    # Low-confidence readings kept apart so alerts and reminders only use `dates`.
    tentative_dates: tuple[KeyDate, ...] = ()

    def documents(self) -> tuple[str, ...]:
        """Every document reference, in display order."""
        return self.fcc_numbers + self.doc_ids + self.fr_numbers + self.fr_citations


@dataclass(frozen=True)
class ParsedItem:
    """One feed entry, normalised: plain text, absolute http(s) link, UTC time."""

    title: str
    link: str | None = None
    guid: str | None = None
    text: str = ""
    published: dt.datetime | None = None  # timezone-aware UTC, None when missing/unparseable
    updated: dt.datetime | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # Identity of the document itself (not what it cites): FR document number, FCC DOC id …
    own_documents: tuple[str, ...] = ()
    # Structured fields some sources carry (Federal Register JSON): merged into extraction.
    dockets: tuple[str, ...] = ()
    dates: tuple[KeyDate, ...] = ()
    doc_type: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: its title, its items and any non-fatal warnings (bozo)."""

    title: str
    items: tuple[ParsedItem, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalyzedItem:
    """A parsed item after the pure stages: identifiers, topics, summary and dedupe keys."""

    item: ParsedItem
    identifiers: Identifiers
    topics: tuple[TopicMatch, ...]
    summary: str
    content_hash: str
    dedupe_keys: tuple[str, ...]  # per source, strongest first: "guid:…", "link:…", "hash:…"
    identity_keys: tuple[str, ...]  # across sources: "url:…", "doc:FCC 25-81", "fr:2025-22830"
    matters: tuple[str, ...] = ()  # ids of tracked matters the item cites
    matter_events: tuple[MatterEvent, ...] = ()  # what the item adds to those matters' timelines


@dataclass(frozen=True)
class Destination:
    """Where alerts go: a console, a Slack channel, a Teams channel webhook."""

    id: int
    platform: str  # "console" | "slack" | "teams"
    address: str  # channel id, webhook name, "stdout"
    name: str = ""
    paused_reason: str | None = None
    workspace: str = ""  # Slack team id it belongs to; '' for Teams and the console


@dataclass(frozen=True)
class Subscription:
    """A destination's interest in one topic ('*' = everything), realtime or daily."""

    destination_id: int
    topic: str
    mode: str = "realtime"  # "realtime" | "daily"


@dataclass(frozen=True)
class Watch:
    """A destination's interest in one docket, tracked matter or phrase, realtime or daily."""

    destination_id: int
    kind: str  # "docket" | "matter" | "phrase"
    value: str  # "PS 22-329", a matter id, or a phrase as typed (matched case-insensitively)
    mode: str = "realtime"  # "realtime" | "daily"

    @property
    def label(self) -> str:
        """'docket PS 22-329', 'matter calea-network-security', '"network security"'."""
        return f'"{self.value}"' if self.kind == "phrase" else f"{self.kind} {self.value}"


@dataclass(frozen=True)
class Alert:
    """One real-world event ready for a sink: everything a message shows."""

    outbox_id: int
    event_id: int
    action: str  # "new" | "update"
    revision: int
    source_name: str
    title: str
    link: str | None
    published: dt.datetime | None
    topics: tuple[TopicMatch, ...]
    dockets: tuple[str, ...]
    documents: tuple[str, ...]
    dates: tuple[KeyDate, ...]
    summary: str
    also_in: tuple[str, ...] = ()
    matters: tuple[str, ...] = ()
    reason: str = ""  # why it came when a watch matched, e.g. "watch: docket PS 22-329"
    filing: bool = False  # an ECFS docket filing (grouped per docket when several arrive)

    @property
    def thread_key(self) -> str | None:
        """The proceeding this alert belongs to (one chat thread each): matter, else docket."""
        if self.matters:
            return f"matter:{self.matters[0]}"
        if self.dockets:
            return f"docket:{self.dockets[0]}"
        return None


@dataclass(frozen=True)
class ListEntry:
    """An alert or a stored item as one entry of a list (bursts, digests, replies).

    The one shape every renderer lists: built from an alert by `from_alert`, from a stored
    item by the command layer. Every text field is untrusted.
    """

    title: str
    link: str | None
    source: str
    published: dt.datetime | None = None
    topics: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # dockets and document numbers
    summary: str = ""
    dates: tuple[KeyDate, ...] = ()
    marker: str = ""  # "NEW" / "UPDATED" / "DEADLINE" for alerts (trusted), "" for items
    reason: str = ""  # why an alert came, when a watch selected it

    @classmethod
    def from_alert(cls, alert: Alert) -> ListEntry:
        """The alert as a list entry."""
        return cls(
            title=alert.title,
            link=alert.link,
            source=alert.source_name,
            published=alert.published,
            topics=tuple(dict.fromkeys(match.topic for match in alert.topics)),
            references=(*alert.dockets, *alert.documents),
            summary=alert.summary,
            dates=alert.dates,
            marker={"update": "UPDATED", "reminder": "DEADLINE"}.get(alert.action, "NEW"),
            reason=alert.reason,
        )


@dataclass(frozen=True)
class DeliveryOutcome:
    """What a sink reports for one alert.

    sent: delivered (ref = platform message id). retry: transient, try again after
    retry_after_seconds. pause: the destination itself is unusable (channel gone, token revoked);
    it is paused with `detail` as the reason and the alert stays queued. failed: this alert can
    never be delivered; the reason is kept.
    """

    outbox_id: int
    status: str  # "sent" | "retry" | "pause" | "failed"
    detail: str = ""
    retry_after_seconds: float | None = None
    ref: str | None = None  # platform message reference (e.g. Slack ts), for later edits


@dataclass
class CycleReport:
    """What one poll cycle did, for the one-line summary and --json."""

    feeds_ok: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    feeds_skipped: int = 0
    items_new: int = 0
    items_updated: int = 0
    items_seen: int = 0
    alerts_queued: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # source id → health: message


@dataclass(frozen=True)
class ClaimedAlert:
    """An outbox row claimed for delivery, with its destination and the rendered-ready alert."""

    destination: Destination
    alert: Alert
    attempts: int
    ref: str | None = None  # the platform reference of this event's first post here, for edits
    thread_ref: str | None = None  # the thread of this alert's proceeding here, if one exists
    digest: bool = False  # queued for the destination's daily digest
    queued_at: dt.datetime | None = None  # when the poll stored the item and queued the alert
    in_flight: bool = False  # left 'sending' by a crashed replica: confirm before resending
    last_sent_at: float | None = None  # unix time of the destination's last post (any replica)


@dataclass(frozen=True)
class SendResult:
    """What a sink reports for one chat message (see bot.alerts.planner.Message).

    `status` is as in DeliveryOutcome. `ref` identifies the posted message (Slack ts) where the
    platform has one. `delivered` names the outbox rows that did go out when a message that
    the platform needed several posts for failed part-way. `transient` marks a retry caused by
    an outage or a rate limit; unexplained errors are retried a bounded number of times.
    """

    status: str  # "sent" | "retry" | "pause" | "failed"
    detail: str = ""
    retry_after_seconds: float | None = None
    ref: str | None = None
    delivered: tuple[int, ...] = ()
    transient: bool = True
