"""Load and validate feeds.yaml: the sources to poll, the topics, the tracked matters, settings.

This is the only module that reads feeds.yaml. Pydantic checks the shape of each entry, plain
Python checks what spans entries (unique ids, known topics), and every problem becomes one short
line naming the file, the key path and the fix, e.g.

    feeds.yaml: sources[3] (id "ntia").interval: must be at least 60 seconds, got "10s"

All problems found (up to `MAX_REPORTED_PROBLEMS`) are raised together as one `ConfigError`.
The result is the frozen dataclasses of `bot.models`; nothing else in the bot sees YAML.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from bot.analysis.extract import normalize_docket
from bot.errors import ConfigError
from bot.models import FetchSettings, Matter, MatterEvent, Source, Topic

#: More problems than this are summarised as "… and N more".
MAX_REPORTED_PROBLEMS = 10
MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 7 * 24 * 3600
DEFAULT_INTERVAL_SECONDS = 15 * 60
SOURCE_KINDS = ("auto", "federal_register_json", "federal_register_public_inspection")

_DEFAULT_FETCH = FetchSettings()
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([a-z]*)$")
_DURATION_UNITS = {
    "": 1.0, "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "ms": 0.001,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
}  # fmt: skip
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([a-z]*)$")
_SIZE_UNITS = {
    "": 1, "b": 1, "byte": 1, "bytes": 1,
    "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3,
}  # fmt: skip
_FCC_NUMBER = re.compile(r"^(FCC|DA)[\s-]*(\d{2})-(\d{1,5})$", re.IGNORECASE)
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_SEVERAL = re.compile(r"[,;&]|\band\b", re.IGNORECASE)  # "WC Docket Nos. 17-97, 20-67"


# ---------------------------------------------------------------------------------------------
# Value checks. Each raises ValueError with the text that follows "path: " in the message.


def _show(value: Any) -> str:
    """A short, YAML-ish rendering of a bad value for an error message."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping (key: value pairs)"
    if isinstance(value, list | tuple):
        return "a list"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _parse_duration(value: Any) -> float:
    """Seconds from 900, 90.5, "90s", "15m", "1h", "1d", "500ms"."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value.strip().lower())
        if match and match.group(2) in _DURATION_UNITS:
            return float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    raise ValueError(
        f'must be a number of seconds or a duration like "90s", "15m", "1h", got {_show(value)}'
    )


def _interval(value: Any) -> int:
    """A poll interval in whole seconds, between the floor and a week."""
    if value is None:
        return DEFAULT_INTERVAL_SECONDS
    seconds = _parse_duration(value)
    if seconds < MIN_INTERVAL_SECONDS:
        raise ValueError(
            f"must be at least {MIN_INTERVAL_SECONDS} seconds, got {_show(value)}; "
            'polling faster is impolite to the site (try "15m")'
        )
    if seconds > MAX_INTERVAL_SECONDS:
        raise ValueError(f'must be at most 7 days ("7d"), got {_show(value)}')
    return round(seconds)


def _positive_seconds(value: Any) -> float:
    """A timeout or backoff in seconds, strictly positive."""
    seconds = _parse_duration(value)
    if seconds <= 0:
        raise ValueError(f"must be more than 0 seconds, got {_show(value)}")
    return seconds


def _byte_size(value: Any) -> int:
    """Bytes from 1048576, "10MiB", "512 KiB", "15MB"."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        match = _SIZE.match(value.strip().lower()) if isinstance(value, str) else None
        if not match or match.group(2) not in _SIZE_UNITS:
            raise ValueError(
                f'must be a number of bytes or a size like "10MiB", "512KiB", got {_show(value)}'
            )
        size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2)])
    if size < 1:
        raise ValueError(f"must be at least 1 byte, got {_show(value)}")
    return size


def _identifier(value: str) -> str:
    """An id used in commands and the database: lowercase letters, digits, '-' and '_'."""
    if not _ID.match(value):
        raise ValueError(
            "must be 1-64 lowercase letters, digits, '-' or '_' (starting with a letter or "
            f'digit), e.g. "fcc-edocs", got {_show(value)}'
        )
    return value


def _http_url(value: str) -> str:
    """An absolute http(s) URL with a host and no spaces."""
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL, got {_show(value)}")
    if any(ch.isspace() for ch in value):
        raise ValueError(f"must not contain spaces (write them as %20), got {_show(value)}")
    return value


def _non_empty(value: str) -> str:
    """A string with something other than whitespace in it, stripped."""
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _docket(value: str) -> str:
    """One docket, normalised the way items' dockets are ("PS Docket No. 22-329" → "PS 22-329")."""
    normalized = normalize_docket(value) if not _SEVERAL.search(value) else None
    if normalized is None:
        raise ValueError(
            f"is not a docket: {_show(value)}; write one docket per entry with its bureau prefix, "
            'e.g. "PS 22-329" or "PS Docket No. 22-329"'
        )
    return normalized


def _document(value: str) -> str:
    """A document reference, normalised: "fcc-25-81" → "FCC 25-81", "doc-1a1" → "DOC-1A1"."""
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    match = _FCC_NUMBER.match(value)
    if match:
        return f"{match.group(1).upper()} {match.group(2)}-{match.group(3)}"
    return value.upper()


def _keyword(value: str) -> str:
    """A keyword or phrase; at least two characters so it cannot match almost everything."""
    value = " ".join(value.split())
    if len(value) < 2:
        raise ValueError(f"must be at least 2 characters, got {_show(value)}")
    return value


def _pattern(value: str) -> str:
    """A regular expression that compiles and does not match the empty string."""
    try:
        compiled = re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(
            f"invalid regular expression {_show(value)}: {exc}; escape special characters "
            "like ( ) [ ] . with a backslash"
        ) from None
    if compiled.search(""):
        raise ValueError(
            f"regular expression {_show(value)} matches empty text, so it would put every "
            "item in this topic"
        )
    return value


def _event_date(value: Any) -> dt.date:
    """A timeline date: YYYY-MM-DD, or YYYY-MM when only the month is known (read as the 1st)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    month = _YEAR_MONTH.match(text)
    if month and 1 <= int(month.group(2)) <= 12:
        return dt.date(int(month.group(1)), int(month.group(2)), 1)
    raise ValueError(
        f"is not a valid date: {_show(value)}; write YYYY-MM-DD (or YYYY-MM if only the month "
        "is known)"
    )


def _list_of(value: Any) -> Any:
    """Let `topics: calea` mean `topics: [calea]` and an empty `keywords:` mean no keywords."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value


def _empty_as_blank(value: Any) -> Any:
    """An empty optional text (`description:`) is the empty string."""
    return "" if value is None else value


def _lowercase(value: str) -> str:
    """States are compared case-insensitively; store them lowercase."""
    return " ".join(value.lower().split())


def _at_least(value: int, floor: int) -> int:
    """A whole number no smaller than `floor`."""
    if value < floor:
        raise ValueError(f"must be at least {floor}, got {value}")
    return value


def _single_line(value: str) -> str:
    """Text without line breaks (the user agent is sent as an HTTP header)."""
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line (it is sent as an HTTP header)")
    return value


def _source_kind(value: str) -> str:
    """One of SOURCE_KINDS."""
    if value not in SOURCE_KINDS:
        choices = ", ".join(f'"{choice}"' for choice in SOURCE_KINDS)
        raise ValueError(f"must be one of {choices}, got {_show(value)}")
    return value


def _count_from(floor: int) -> Callable[[int], int]:
    """A check that a whole number is at least `floor`."""
    return lambda value: _at_least(value, floor)


_Id = Annotated[str, AfterValidator(_identifier)]
_Text = Annotated[str, AfterValidator(_non_empty)]
_OptionalText = Annotated[str, BeforeValidator(_empty_as_blank)]
_Url = Annotated[str, AfterValidator(_http_url)]
_Docket = Annotated[str, AfterValidator(_docket)]
_Document = Annotated[str, AfterValidator(_document)]
_Keyword = Annotated[str, AfterValidator(_keyword)]
_Pattern = Annotated[str, AfterValidator(_pattern)]
_State = Annotated[str, AfterValidator(_non_empty), AfterValidator(_lowercase)]
_Seconds = Annotated[float, BeforeValidator(_positive_seconds)]
_CountFrom0 = Annotated[int, AfterValidator(_count_from(0))]
_CountFrom1 = Annotated[int, AfterValidator(_count_from(1))]

# List fields also accept a single value (`topics: calea`) or nothing (`keywords:`).
_IdList = Annotated[tuple[_Id, ...], BeforeValidator(_list_of)]
_DocketList = Annotated[tuple[_Docket, ...], BeforeValidator(_list_of)]
_DocumentList = Annotated[tuple[_Document, ...], BeforeValidator(_list_of)]
_KeywordList = Annotated[tuple[_Keyword, ...], BeforeValidator(_list_of)]
_PatternList = Annotated[tuple[_Pattern, ...], BeforeValidator(_list_of)]


# ---------------------------------------------------------------------------------------------
# The YAML schema. Shapes only; cross-entry checks live in `_check_references`.


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _SettingsModel(_Schema):
    user_agent: Annotated[_Text, AfterValidator(_single_line)] = _DEFAULT_FETCH.user_agent
    connect_timeout: _Seconds = _DEFAULT_FETCH.connect_timeout
    read_timeout: _Seconds = _DEFAULT_FETCH.read_timeout
    total_timeout: _Seconds = _DEFAULT_FETCH.total_timeout
    max_bytes: Annotated[int, BeforeValidator(_byte_size)] = _DEFAULT_FETCH.max_bytes
    max_redirects: _CountFrom0 = _DEFAULT_FETCH.max_redirects
    per_host_concurrency: _CountFrom1 = _DEFAULT_FETCH.per_host_concurrency
    total_concurrency: _CountFrom1 = _DEFAULT_FETCH.total_concurrency
    backoff_base: _Seconds = _DEFAULT_FETCH.backoff_base_seconds
    backoff_max: _Seconds = _DEFAULT_FETCH.backoff_max_seconds
    first_poll_alerts: _CountFrom0 = 3
    max_alerts_per_poll: _CountFrom1 = 20
    retention_days: _CountFrom1 | None = None  # None: keep everything

    def fetch_settings(self) -> FetchSettings:
        """The fetch limits as the shared dataclass."""
        return FetchSettings(
            user_agent=self.user_agent,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            total_timeout=self.total_timeout,
            max_bytes=self.max_bytes,
            max_redirects=self.max_redirects,
            per_host_concurrency=self.per_host_concurrency,
            total_concurrency=self.total_concurrency,
            backoff_base_seconds=self.backoff_base,
            backoff_max_seconds=self.backoff_max,
        )


class _SourceModel(_Schema):
    id: _Id
    name: _OptionalText = ""
    url: _Url
    kind: Annotated[str, AfterValidator(_source_kind)] = "auto"
    interval: Annotated[int, BeforeValidator(_interval)] = DEFAULT_INTERVAL_SECONDS
    topics: _IdList = ()
    enabled: bool = True

    def to_source(self) -> Source:
        return Source(
            id=self.id,
            name=self.name.strip() or self.id,
            url=self.url,
            kind=self.kind,
            interval_seconds=self.interval,
            topics=self.topics,
            enabled=self.enabled,
        )


class _TopicModel(_Schema):
    id: _Id
    title: _OptionalText = ""
    description: _OptionalText = ""
    keywords: _KeywordList = ()
    patterns: _PatternList = ()
    dockets: _DocketList = ()

    def to_topic(self) -> Topic:
        return Topic(
            id=self.id,
            title=self.title.strip() or self.id,
            description=" ".join(self.description.split()),
            keywords=_unique(self.keywords, key=str.casefold),
            patterns=_unique(self.patterns),
            dockets=_unique(self.dockets),
        )


class _EventModel(_Schema):
    date: Annotated[dt.date, BeforeValidator(_event_date)]
    label: _Text
    state: _State | None = None
    document: _Document | None = None
    url: _Url | None = None

    def to_event(self) -> MatterEvent:
        return MatterEvent(
            date=self.date, label=self.label, state=self.state, document=self.document, url=self.url
        )


class _MatterModel(_Schema):
    id: _Id
    title: _OptionalText = ""
    dockets: _DocketList = ()
    documents: _DocumentList = ()
    topics: _IdList = ()
    timeline: Annotated[tuple[_EventModel, ...], BeforeValidator(_list_of)] = ()

    def to_matter(self) -> Matter:
        return Matter(
            id=self.id,
            title=self.title.strip() or self.id,
            dockets=_unique(self.dockets),
            documents=_unique(self.documents),
            topics=_unique(self.topics),
            timeline=tuple(event.to_event() for event in self.timeline),
        )


def _unique(values: Iterable[str], key: Callable[[str], str] = str) -> tuple[str, ...]:
    """Drop repeated values, keeping the first spelling and the order."""
    seen: set[str] = set()
    kept = []
    for value in values:
        if key(value) not in seen:
            seen.add(key(value))
            kept.append(value)
    return tuple(kept)


_SECTIONS: dict[str, type[_Schema]] = {
    "sources": _SourceModel,
    "topics": _TopicModel,
    "matters": _MatterModel,
}
_TOP_LEVEL_KEYS = ("settings", "sources", "topics", "matters")


# ---------------------------------------------------------------------------------------------
# The public result.


@dataclass(frozen=True)
class Config:
    """Everything feeds.yaml says, validated: sources, topics, matters and limits."""

    path: Path
    sources: tuple[Source, ...]
    topics: tuple[Topic, ...]
    matters: tuple[Matter, ...]
    fetch: FetchSettings = field(default_factory=FetchSettings)
    first_poll_alerts: int = 3  # first poll of a new source: alert on at most N newest items
    max_alerts_per_poll: int = 20  # storm guard: more new items than this are stored quietly
    retention_days: int | None = None  # prune older items (never tracked matters'); None: keep

    def source(self, source_id: str) -> Source:
        """The source with this id; ConfigError naming the known ids if there is none."""
        for source in self.sources:
            if source.id == source_id:
                return source
        raise ConfigError(_unknown_id_message(self.path, "source", source_id, self.source_ids()))

    def matter(self, matter_id: str) -> Matter:
        """The matter with this id; ConfigError naming the known ids if there is none."""
        for matter in self.matters:
            if matter.id == matter_id:
                return matter
        ids = tuple(m.id for m in self.matters)
        raise ConfigError(_unknown_id_message(self.path, "matter", matter_id, ids))

    def source_ids(self) -> tuple[str, ...]:
        """Source ids in file order."""
        return tuple(source.id for source in self.sources)

    def topic_ids(self) -> tuple[str, ...]:
        """Topic ids in file order (the order alerts list topics in)."""
        return tuple(topic.id for topic in self.topics)

    def enabled_sources(self) -> tuple[Source, ...]:
        """The sources to poll (`enabled: true`), in file order."""
        return tuple(source for source in self.sources if source.enabled)


def _unknown_id_message(path: Path, what: str, wanted: str, known: tuple[str, ...]) -> str:
    hint = _did_you_mean(wanted, known)
    listing = ", ".join(known) if known else "none"
    return f'{path}: no {what} with id "{wanted}"{hint}; known {what}s: {listing}'


def _did_you_mean(wanted: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(wanted, list(choices), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def load_config(path: Path | str) -> Config:
    """Read and validate feeds.yaml. Raises ConfigError (only) with every problem found."""
    path = Path(path)
    document = _read_yaml(path)
    problems = _Problems(path)
    if not isinstance(document, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping with the keys "
            f"{', '.join(_TOP_LEVEL_KEYS)} (and at least `sources:`), got {_show(document)}"
        )
    for key in document:
        if key not in _TOP_LEVEL_KEYS:
            problems.add(str(key), _unknown_key_message(key, _TOP_LEVEL_KEYS))

    settings = _SettingsModel()
    raw_settings = document.get("settings")
    if raw_settings is not None:
        settings = _validate(_SettingsModel, raw_settings, "settings", problems) or settings

    sections: dict[str, list[_Entry]] = {name: [] for name in _SECTIONS}  # the valid entries
    topic_ids_written: set[str] = set()  # valid or not: never report them as unknown
    broken: set[str] = set()
    for name, model in _SECTIONS.items():
        raw_entries = _section_entries(name, document.get(name), problems)
        if raw_entries is None:
            broken.add(name)
            continue
        if name == "topics":
            topic_ids_written.update(_raw_id(entry.raw) for entry in raw_entries)
        for entry in raw_entries:
            result = _validate(model, entry.raw, entry.label, problems)
            if result is not None:
                sections[name].append(_Entry(entry.label, entry.raw, result))

    _check_references(sections, broken, topic_ids_written, problems)
    problems.raise_if_any()
    return Config(
        path=path,
        sources=tuple(entry.model.to_source() for entry in sections["sources"]),
        topics=tuple(entry.model.to_topic() for entry in sections["topics"]),
        matters=tuple(entry.model.to_matter() for entry in sections["matters"]),
        fetch=settings.fetch_settings(),
        first_poll_alerts=settings.first_poll_alerts,
        max_alerts_per_poll=settings.max_alerts_per_poll,
        retention_days=settings.retention_days,
    )


@dataclass(frozen=True)
class _Entry:
    """One entry of `sources:`, `topics:` or `matters:`: where it is, what it says."""

    label: str  # 'sources[3] (id "ntia")' or 'topics.calea'
    raw: Any
    model: Any = None


def _section_entries(name: str, raw: Any, problems: _Problems) -> list[_Entry] | None:
    """A section's entries, from a list of `- id: …` or a mapping `id: {…}`; None if broken."""
    if name == "sources" and not raw:
        problems.add(name, "at least one source is required: a list of {id, url}")
        return None
    if raw is None:
        return []
    if isinstance(raw, list):
        return [_Entry(_entry_path(name, i, entry), entry) for i, entry in enumerate(raw)]
    if not isinstance(raw, dict):
        problems.add(name, f"must be a list of entries (each starting with '- '), got {_show(raw)}")
        return None
    if not all(body is None or isinstance(body, dict) for body in raw.values()):
        problems.add(
            name,
            "must be a list of entries (each starting with '- ') or a mapping of id → entry; "
            "this looks like one entry missing its '- '",
        )
        return None
    entries = []
    for key, body in raw.items():
        label = f"{name}.{key}"
        body = body or {}
        if body.get("id", key) != key:
            problems.add(f"{label}.id", f'is "{body["id"]}" but the key says "{key}"; drop `id:`')
        else:
            entries.append(_Entry(label, {**body, "id": str(key)}))
    return entries


def _check_references(
    sections: dict[str, list[_Entry]],
    broken: set[str],
    topic_ids_written: set[str],
    problems: _Problems,
) -> None:
    """Unique ids per section; every topic a source or matter names exists."""
    for entries in sections.values():
        first: dict[str, str] = {}
        for entry in entries:
            if entry.model.id in first:
                problems.add(
                    f"{entry.label}.id",
                    f'duplicate id "{entry.model.id}", already used by {first[entry.model.id]}; '
                    "ids must be unique",
                )
            else:
                first[entry.model.id] = entry.label.split(" ")[0]
    if "topics" in broken:
        return  # `topics:` itself is broken: every reference would look unknown
    known = tuple(dict.fromkeys(entry.model.id for entry in sections["topics"]))
    for name in ("sources", "matters"):
        for entry in sections[name]:
            for position, topic_id in enumerate(entry.model.topics):
                if topic_id not in known and topic_id not in topic_ids_written:
                    listing = ", ".join(known) if known else "none are defined"
                    problems.add(
                        f"{entry.label}.topics[{position}]",
                        f'unknown topic "{topic_id}"{_did_you_mean(topic_id, known)}; '
                        f"define it under `topics:` or use one of: {listing}",
                    )


# ---------------------------------------------------------------------------------------------
# Reading YAML and turning pydantic errors into one-line messages.


class _DuplicateKeyError(Exception):
    """A mapping in feeds.yaml repeats a key (PyYAML would silently keep the last one)."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys and leaves dates as text (we parse them)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                continue  # unhashable: the base class raises a clear error
            if key in seen:
                first = seen[key].start_mark.line + 1
                mark = key_node.start_mark
                raise _DuplicateKeyError(
                    f'line {mark.line + 1}, column {mark.column + 1}: duplicate key "{key}" '
                    f"(first used on line {first}); keep only one of them"
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: file not found; pass the right path (--feeds PATH or CALEA_BOT_FEEDS) "
            "or create it from the example feeds.yaml"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a YAML file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKeyError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        raise ConfigError(
            f"{path}: invalid YAML at {where}: {problem}{context}; check indentation and quoting"
        ) from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if document is None:
        raise ConfigError(
            f"{path}: the file is empty; it needs at least a `sources:` list of {{id, url}}"
        )
    return document


class _Problems:
    """Collects "path: message" lines and raises them as one ConfigError."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, key_path: str, message: str) -> None:
        self.lines.append(f"{self.path}: {key_path}: {message}")

    def raise_if_any(self) -> None:
        if not self.lines:
            return
        if len(self.lines) == 1:
            raise ConfigError(self.lines[0])
        shown = self.lines[:MAX_REPORTED_PROBLEMS]
        more = len(self.lines) - len(shown)
        body = "\n".join(f"  {line}" for line in shown)
        tail = f"\n  … and {more} more" if more else ""
        raise ConfigError(f"{self.path}: {len(self.lines)} problems to fix:\n{body}{tail}")


def _raw_id(raw: Any) -> str:
    """The id an entry was written with ("" if it has none)."""
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return raw["id"].strip()
    return ""


def _entry_path(section: str, index: int, raw: Any) -> str:
    """`sources[3] (id "ntia")`: the index for position, the id for humans."""
    label = f"{section}[{index}]"
    if _raw_id(raw):
        label += f" (id {_show(_raw_id(raw))})"
    return label


def _validate(model: type[_Schema], raw: Any, prefix: str, problems: _Problems) -> Any:
    """The validated model, or None after recording each error under `prefix`."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            problems.add(prefix + _render_loc(loc), _describe(error, _model_at(model, loc)))
        return None


def _render_loc(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _model_at(model: type[_Schema], loc: tuple[Any, ...]) -> type[_Schema]:
    """The schema class that owns the last key of `loc` (only matters nest: timeline entries)."""
    if model is _MatterModel and "timeline" in loc[:-1]:
        return _EventModel
    return model


_TYPE_NAMES = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "model_type": "a mapping of keys to values",
    "dict_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "date_type": "a date (YYYY-MM-DD)",
}


def _describe(error: Any, model: type[_Schema]) -> str:
    """One readable sentence for one pydantic error."""
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return _unknown_key_message(error["loc"][-1], tuple(model.model_fields))
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if kind in _TYPE_NAMES:
        return f"must be {_TYPE_NAMES[kind]}, got {_show(value)}"
    message = error["msg"].replace("Input should be", "must be")
    return f"{message[:1].lower()}{message[1:]}, got {_show(value)}"


def _unknown_key_message(key: Any, allowed: tuple[str, ...]) -> str:
    hint = _did_you_mean(str(key), allowed)
    return f'unknown key "{key}"{hint}; allowed keys: {", ".join(allowed)}'
