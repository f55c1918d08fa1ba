"""Versioned schema migrations: small functions applied in order, each in a transaction.

Each migration is recorded in the `_migrations` table, so opening an older database upgrades it
and opening a current one does nothing. Never edit a released migration: add a new one.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(name: str) -> Callable[[Migration], Migration]:
    """Register a migration under a stable name; order of definition is order of application."""

    def register(fn: Migration) -> Migration:
        MIGRATIONS.append((name, fn))
        return fn

    return register


@migration("0001_initial")
def _initial(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE source_state (
            source_id TEXT PRIMARY KEY,
            etag TEXT, last_modified TEXT, body_hash TEXT,
            health TEXT, message TEXT, status_code INTEGER,
            first_polled_at TEXT, last_polled_at TEXT, last_success_at TEXT,
            last_error_at TEXT, last_error_kind TEXT, last_error_message TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            next_poll_at TEXT, last_new_item_at TEXT,
            polls INTEGER NOT NULL DEFAULT 0,
            not_modified INTEGER NOT NULL DEFAULT 0,
            items_total INTEGER NOT NULL DEFAULT 0
        );
        -- An event's id is the id of its primary (first) item.
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            primary_item_id INTEGER,
            revision INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE event_keys (
            key TEXT PRIMARY KEY,
            event_id INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            source_id TEXT NOT NULL,
            event_id INTEGER NOT NULL,
            guid TEXT, link TEXT,
            title TEXT NOT NULL,
            text TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',
            published TEXT, updated TEXT,
            first_seen_at TEXT NOT NULL,
            last_changed_at TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            revision INTEGER NOT NULL DEFAULT 1,
            topics TEXT NOT NULL DEFAULT '[]',
            dockets TEXT NOT NULL DEFAULT '[]',
            documents TEXT NOT NULL DEFAULT '[]',
            dates TEXT NOT NULL DEFAULT '[]',
            authors TEXT NOT NULL DEFAULT '[]',
            categories TEXT NOT NULL DEFAULT '[]',
            matters TEXT NOT NULL DEFAULT '[]',
            doc_type TEXT
        );
        CREATE INDEX items_event ON items(event_id);
        CREATE INDEX items_published ON items(published);
        CREATE INDEX items_source ON items(source_id, id);
        CREATE TABLE item_keys (
            source_id TEXT NOT NULL,
            key TEXT NOT NULL,
            item_id INTEGER NOT NULL,
            PRIMARY KEY (source_id, key)
        ) WITHOUT ROWID;
        CREATE TABLE item_versions (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL,
            revision INTEGER NOT NULL,
            title TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        CREATE TABLE destinations (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            address TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            secret TEXT,
            paused_reason TEXT, paused_at TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (platform, address)
        );
        CREATE TABLE subscriptions (
            destination_id INTEGER NOT NULL,
            topic TEXT NOT NULL,
            mode TEXT NOT NULL DEFAULT 'realtime',
            created_at TEXT NOT NULL,
            created_by TEXT,
            PRIMARY KEY (destination_id, topic)
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL,
            destination_id INTEGER NOT NULL,
            action TEXT NOT NULL,
            revision INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            claimed_at TEXT,
            last_error TEXT,
            ref TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE (event_id, destination_id, revision)
        );
        CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
        CREATE TABLE matter_events (
            id INTEGER PRIMARY KEY,
            matter_id TEXT NOT NULL,
            date TEXT NOT NULL,
            label TEXT NOT NULL,
            state TEXT, document TEXT, url TEXT,
            item_id INTEGER NOT NULL,
            UNIQUE (matter_id, item_id, date, label)
        );
        """,
    )
    if db.dialect == "postgres":
        # Full-text search with Postgres' own tools: a stored tsvector and a GIN index.
        run_script(
            db,
            """
            ALTER TABLE items ADD COLUMN search tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', title), 'A')
                || setweight(to_tsvector('english', text), 'B')
            ) STORED;
            CREATE INDEX items_search ON items USING GIN (search);
            -- SQLite's instr(), for the JSON-column prefilters the queries share.
            CREATE FUNCTION instr(text, text) RETURNS integer
                LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT strpos($1, $2)';
            """,
        )
        return
    run_script(
        db,
        """
        CREATE VIRTUAL TABLE items_fts USING fts5(
            title, text, content='items', content_rowid='id', tokenize='porter unicode61'
        );
        CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN
            INSERT INTO items_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN
            INSERT INTO items_fts (items_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        END;
        CREATE TRIGGER items_au AFTER UPDATE OF title, text ON items BEGIN
            INSERT INTO items_fts (items_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO items_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        """,
    )


def run_script(db, script: str) -> None:
    """Execute a multi-statement script inside the caller's transaction.

    sqlite3's executescript() commits first, which would break a migration's atomicity, so
    statements are split with sqlite3.complete_statement and run one by one. On PostgreSQL
    each statement's types are translated first (`postgres_ddl`).
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            db.execute(postgres_ddl(pending) if db.dialect == "postgres" else pending)
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:80]}")


_PG_TYPES = [
    # An id column: SQLite's rowid alias is an identity column (explicit ids still allowed).
    (re.compile(r"\bINTEGER PRIMARY KEY(?: AUTOINCREMENT)?(?! ?\()", re.I),
     "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),
    (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
    (re.compile(r"\)\s*WITHOUT ROWID", re.I), ")"),
]  # fmt: skip


def postgres_ddl(statement: str) -> str:
    """A migration statement written for SQLite, in PostgreSQL's types.

    INTEGER becomes BIGINT (SQLite's are 64-bit), REAL double precision, an `INTEGER PRIMARY
    KEY` an identity column; WITHOUT ROWID is dropped. Migrations keep to these types.
    """
    for pattern, replacement in _PG_TYPES:
        statement = pattern.sub(replacement, statement)
    return statement


_MIGRATION_LOCK = 0x6361_6C65_6100  # "calea" + 0: serialises replicas migrating at once


def apply_migrations(db) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    if db.dialect == "postgres":
        return _apply_postgres(db)
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            fn(db)
            db.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                [name, dt.datetime.now(dt.UTC).isoformat()],
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        applied.append(name)
    return applied


def _apply_postgres(db) -> list[str]:
    """The same migrations, each in a transaction, one replica at a time (advisory lock)."""
    applied = []
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(?)", [_MIGRATION_LOCK])
        db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        done = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
        for name, fn in MIGRATIONS:
            if name in done:
                continue
            fn(db)
            db.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                [name, dt.datetime.now(dt.UTC).isoformat()],
            )
            applied.append(name)
    return applied


@migration("0002_digests_and_threads")
def _digests_and_threads(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        ALTER TABLE outbox ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX subscriptions_topic ON subscriptions(topic);
        -- One thread per proceeding per destination: the platform ref of its first message.
        CREATE TABLE threads (
            destination_id INTEGER NOT NULL,
            thread_key TEXT NOT NULL,
            ref TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (destination_id, thread_key)
        );
        """,
    )


@migration("0003_user_sources")
def _user_sources(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        -- Feeds added from chat (`feeds add`), polled beside the ones in feeds.yaml.
        CREATE TABLE user_sources (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            url TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL DEFAULT 'auto',
            interval_seconds INTEGER NOT NULL,
            topics TEXT NOT NULL DEFAULT '[]',
            enabled INTEGER NOT NULL DEFAULT 1,
            added_by TEXT,
            added_by_name TEXT,
            platform TEXT,
            added_at TEXT NOT NULL
        );
        """,
    )


@migration("0004_instance_lease")
def _instance_lease(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        -- One running bot per database: the holder refreshes heartbeat_at (unix seconds);
        -- a lease not refreshed for the TTL has expired (its holder crashed).
        CREATE TABLE instance_lease (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            holder_id TEXT NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            heartbeat_at REAL NOT NULL,
            acquired_at REAL NOT NULL
        );
        """,
    )


@migration("0005_deadlines")
def _deadlines(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        -- One row per real deadline: a document's (or docket's) comment, reply, effective …
        -- date, merged across sources. `version` grows when the due date changes (extension,
        -- correction); reminders are keyed by it, so a change re-announces.
        CREATE TABLE deadlines (
            id INTEGER PRIMARY KEY,
            subject TEXT NOT NULL,
            kind TEXT NOT NULL,
            stated_date TEXT,
            due_date TEXT,
            previous_due_date TEXT,
            relative_days INTEGER,
            basis TEXT NOT NULL,
            confidence TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            event_id INTEGER,
            title TEXT NOT NULL,
            link TEXT,
            dockets TEXT NOT NULL DEFAULT '[]',
            documents TEXT NOT NULL DEFAULT '[]',
            topics TEXT NOT NULL DEFAULT '[]',
            matters TEXT NOT NULL DEFAULT '[]',
            item_ids TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (subject, kind)
        );
        CREATE INDEX deadlines_due ON deadlines(due_date);
        -- "doc:FCC 25-81", "fr:2025-22830", "docket:PS 22-329" → deadlines (merging, look-ups).
        CREATE TABLE deadline_refs (
            ref TEXT NOT NULL,
            deadline_id INTEGER NOT NULL,
            PRIMARY KEY (ref, deadline_id)
        ) WITHOUT ROWID;
        -- Per destination: business days before a deadline to remind ("[7, 1]"; "[]" = off).
        CREATE TABLE reminder_settings (
            destination_id INTEGER PRIMARY KEY,
            offsets TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        -- Exactly once: one reminder per deadline × destination × offset × deadline version
        -- (offset -1 announces a changed date). Each has one outbox row (action 'reminder').
        CREATE TABLE reminders (
            id INTEGER PRIMARY KEY,
            deadline_id INTEGER NOT NULL,
            destination_id INTEGER NOT NULL,
            offset_days INTEGER NOT NULL,
            version INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (deadline_id, destination_id, offset_days, version)
        );
        ALTER TABLE outbox ADD COLUMN reminder_id INTEGER;
        -- The unguessable token of each destination's iCalendar feed.
        CREATE TABLE calendar_tokens (
            destination_id INTEGER PRIMARY KEY,
            token TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        """,
    )


@migration("0006_watches")
def _watches(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        -- A channel's watches: a docket, a tracked matter or a phrase (see bot.alerts.watches).
        -- AUTOINCREMENT: ids are never reused, so (count, max id) tells when watches changed.
        CREATE TABLE watches (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            destination_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            match_key TEXT NOT NULL,
            mode TEXT NOT NULL DEFAULT 'realtime',
            created_at TEXT NOT NULL,
            created_by TEXT,
            UNIQUE (destination_id, kind, match_key)
        );
        CREATE INDEX watches_docket ON watches(kind, match_key);
        -- Why an alert came, when a watch selected its destination.
        ALTER TABLE outbox ADD COLUMN reason TEXT NOT NULL DEFAULT '';
        """,
    )


@migration("0007_ops_notices_replay_audit")
def _ops_notices_replay_audit(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        -- Messages to the admin channel (a source broke or recovered): queued in the poll's
        -- transaction, at most once per key, delivered by the outbox drain.
        CREATE TABLE notices (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            address TEXT NOT NULL,
            key TEXT NOT NULL,
            text TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            last_error TEXT,
            UNIQUE (platform, address, key)
        );
        CREATE INDEX notices_due ON notices(state, next_attempt_at);
        -- Teams activity ids already answered, kept for the replay window (survive restarts).
        CREATE TABLE seen_activities (
            activity_id TEXT PRIMARY KEY,
            seen_at REAL NOT NULL
        ) WITHOUT ROWID;
        -- Who subscribed or unsubscribed which channel, and when (append-only).
        CREATE TABLE subscription_audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            channel_name TEXT,
            user_id TEXT,
            user_name TEXT,
            action TEXT NOT NULL,
            topics TEXT NOT NULL,
            mode TEXT
        );
        """,
    )


@migration("0008_workspaces")
def _workspaces(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        -- The Slack workspace (team id) a destination belongs to; '' for Teams, the console
        -- and rows older than this migration (claimed by the first start in single-workspace
        -- mode, or by the next subscribe from the channel).
        ALTER TABLE destinations ADD COLUMN workspace TEXT NOT NULL DEFAULT '';
        CREATE INDEX destinations_workspace ON destinations(platform, workspace);
        ALTER TABLE subscription_audit ADD COLUMN workspace TEXT NOT NULL DEFAULT '';
        -- Slack installations through OAuth (slack_sdk's InstallationStore): one row per
        -- workspace and installing user; tokens are Fernet ciphertext, the rest JSON in data.
        CREATE TABLE slack_installations (
            id INTEGER PRIMARY KEY,
            client_id TEXT NOT NULL,
            enterprise_id TEXT NOT NULL DEFAULT '',
            team_id TEXT NOT NULL DEFAULT '',
            user_id TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL,
            bot_token TEXT,
            bot_refresh_token TEXT,
            user_token TEXT,
            user_refresh_token TEXT,
            installed_at REAL NOT NULL,
            UNIQUE (client_id, enterprise_id, team_id, user_id)
        );
        -- The bot of each workspace (what delivery posts with).
        CREATE TABLE slack_bots (
            id INTEGER PRIMARY KEY,
            client_id TEXT NOT NULL,
            enterprise_id TEXT NOT NULL DEFAULT '',
            team_id TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL,
            bot_token TEXT,
            bot_refresh_token TEXT,
            installed_at REAL NOT NULL,
            UNIQUE (client_id, enterprise_id, team_id)
        );
        -- OAuth state values handed to installers: single use, expiring.
        CREATE TABLE slack_oauth_states (
            id INTEGER PRIMARY KEY,
            state TEXT NOT NULL UNIQUE,
            expire_at REAL NOT NULL
        );
        """,
    )


@migration("0009_replicas")
def _replicas(db) -> None:
    run_script(
        db,
        """
        -- Several `run` replicas drain one outbox: a replica claims a destination (all its due
        -- alerts) until claim_until (unix seconds), so one channel is served by one replica at
        -- a time; last_sent_at carries the channel's pacing from one replica to the next.
        ALTER TABLE destinations ADD COLUMN claimed_by TEXT;
        ALTER TABLE destinations ADD COLUMN claim_until REAL;
        ALTER TABLE destinations ADD COLUMN last_sent_at REAL;
        ALTER TABLE notices ADD COLUMN claimed_at REAL;
        CREATE INDEX outbox_destination_state ON outbox(destination_id, state);
        """,
    )
    if db.dialect == "postgres":
        run_script(
            db,
            """
            -- Newest-first look-ups walk this instead of sorting (bot.store.pg_queries).
            CREATE INDEX items_newest ON items ((coalesce(published, first_seen_at)) DESC, id DESC);
            """,
        )
