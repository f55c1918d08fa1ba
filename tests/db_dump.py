"""Every row of every table of a store, as text: to show an operation changed nothing (or that
a secret never reached the database), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from bot.store import Store


def dump_rows(store: Store) -> list[str]:
    """One line per row (SQLite: its SQL dump; PostgreSQL: table name and row, sorted)."""
    if store.dialect == "sqlite":
        return list(store.db.conn.iterdump())
    tables = [
        row[0]
        for row in store.db.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' ORDER BY table_name"
        ).fetchall()
    ]
    lines = []
    for table in tables:
        rows = store.db.execute(f'SELECT * FROM "{table}"').fetchall()
        lines.extend(sorted(f"{table} {row!r}" for row in rows))
    return lines
