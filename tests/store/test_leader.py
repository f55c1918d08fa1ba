"""bot.store.leader: one poll leader among replicas, on a real PostgreSQL (tests/pg_server.py)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.store.leader import DEFAULT_NAME, LeaderInfo, PgLeaderElection, lock_key
from tests.app.test_run import wait_for

REPO = Path(__file__).resolve().parents[2]
FAST = {"retry_seconds": 0.2, "check_seconds": 0.2}

#: A replica in another process: it starts an election, says what it is, then idles.
REPLICA = """
import sys, time
from bot.store.leader import PgLeaderElection
election = PgLeaderElection(sys.argv[1], retry_seconds=0.2, check_seconds=0.2).start()
print("leader" if election.is_leader else "standby", flush=True)
time.sleep(600)
"""


@pytest.fixture
def elections(pg_url: str) -> Iterator[list[PgLeaderElection]]:
    """Elections made by the test (append them), all released afterwards."""
    made: list[PgLeaderElection] = []
    yield made
    for election in made:
        election.release()


def elect(made: list[PgLeaderElection], url: str, **kwargs) -> PgLeaderElection:
    election = PgLeaderElection(url, **{**FAST, **kwargs}).start()
    made.append(election)
    return election


def test_one_of_two_elections_wins_and_the_other_knows_who(pg_url, elections, caplog):
    caplog.set_level(logging.INFO, logger="bot.store.leader")
    first = elect(elections, pg_url)
    second = elect(elections, pg_url)
    assert first.is_leader and not second.is_leader
    assert second.try_acquire() is False and first.try_acquire() is True

    leader = second.current_leader()
    assert leader is not None and leader.pid == os.getpid() and leader.host
    assert leader.application_name == first.identity
    assert f"led by pid {os.getpid()} on host {leader.host}" in caplog.text


def test_release_hands_over_to_the_standby(pg_url, elections):
    calls: list[str] = []
    first = elect(
        elections,
        pg_url,
        on_elected=lambda: calls.append("first elected"),
        on_demoted=lambda: calls.append("first demoted"),
    )
    second = elect(elections, pg_url, on_elected=lambda: calls.append("second elected"))
    first.release()
    assert wait_for(lambda: second.is_leader, 30)
    assert not first.is_leader
    assert calls == ["first elected", "first demoted", "second elected"]


def test_a_standby_takes_over_from_a_leader_killed_with_sigkill(pg_url, elections):
    replica = subprocess.Popen(
        [sys.executable, "-c", REPLICA, pg_url],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert replica.stdout.readline().strip() == "leader"
        standby = elect(elections, pg_url)
        assert not standby.is_leader
        assert standby.current_leader().pid == replica.pid

        os.kill(replica.pid, signal.SIGKILL)
        replica.wait(30)
        assert wait_for(lambda: standby.is_leader, 30), "the standby did not take over"
        assert standby.current_leader().pid == os.getpid()
    finally:
        if replica.poll() is None:
            os.killpg(replica.pid, signal.SIGKILL)
        replica.wait(30)


def test_a_leader_whose_session_is_terminated_steps_down(pg_url, elections, caplog):
    demoted: list[bool] = []
    # The victim checks often but waits long before trying again, so the standby wins.
    victim = elect(elections, pg_url, retry_seconds=60, on_demoted=lambda: demoted.append(True))
    standby = elect(elections, pg_url)
    assert victim.is_leader
    backend = standby.current_leader().backend_pid

    with psycopg.connect(pg_url, autocommit=True) as dba:
        dba.execute("SELECT pg_terminate_backend(%s)", (backend,))
    assert wait_for(lambda: not victim.is_leader and standby.is_leader, 30)
    assert demoted == [True]
    assert "stepped down" in caplog.text and "connection was lost" in caplog.text


def test_elections_of_other_names_do_not_compete(pg_url, elections):
    polls = elect(elections, pg_url)
    other = elect(elections, pg_url, name="calea-bot:something-else")
    assert polls.is_leader and other.is_leader


def test_an_unreachable_database_is_a_standby_not_a_crash(caplog):
    election = PgLeaderElection("postgresql://nobody@127.0.0.1:1/none", **FAST)
    try:
        assert election.try_acquire() is False and not election.is_leader
        assert election.current_leader() is None
    finally:
        election.release()
    assert "cannot reach the database" in caplog.text


def test_the_lock_key_is_fixed_by_the_name():
    assert lock_key(DEFAULT_NAME) == lock_key("calea-bot:poll-leader")
    assert lock_key(DEFAULT_NAME) != lock_key("calea-bot:other")
    assert -(2**63) <= lock_key(DEFAULT_NAME) < 2**63


def test_leader_info_reads_host_and_pid_from_the_connection_name():
    info = LeaderInfo(77, "calea-bot web-1 4242")
    assert (info.host, info.pid, str(info)) == ("web-1", 4242, "pid 4242 on host web-1")
    assert LeaderInfo(77, "psql").pid is None and "backend 77" in str(LeaderInfo(77, "psql"))


def test_intervals_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        PgLeaderElection("postgresql://x@127.0.0.1/x", retry_seconds=0)
