"""The database file holds secrets: it and its -wal/-shm files are private to their owner."""

from __future__ import annotations

import os
import stat

import pytest

from bot.store import Store


@pytest.fixture
def open_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_database_and_its_wal_and_shm_are_0600(tmp_path, open_umask):
    db = tmp_path / "sub" / "bot.db"
    store = Store(db)
    try:
        store.db.execute("INSERT INTO _migrations (name, applied_at) VALUES ('x', 'y')")
        assert mode(db) == 0o600
        for suffix in ("-wal", "-shm"):
            sidecar = db.with_name(db.name + suffix)
            assert sidecar.exists(), suffix
            assert mode(sidecar) == 0o600, suffix
    finally:
        store.close()
    assert mode(db) == 0o600


def test_an_existing_file_keeps_its_mode(tmp_path, open_umask):
    db = tmp_path / "bot.db"
    first = Store(db)
    first.close()
    os.chmod(db, 0o640)
    Store(db).close()
    assert mode(db) == 0o640
