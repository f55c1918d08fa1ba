"""The demo shows watches, public inspection and ECFS filings end to end (bundled samples)."""

from __future__ import annotations

from tests.app.test_cli import REPO, calea


def test_demo_shows_watches_public_inspection_and_filings():
    result = calea("demo", "--feeds", str(REPO / "feeds.yaml"), cwd=REPO)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "On public inspection — publishes 2025-12-15" in out
    assert "[UPDATED] Federal Register API (demo)" in out  # published: the same event, edited
    assert "also in: Federal Register public inspection (demo)" in out
    assert "Ex parte by USTelecom - The Broadband Association in PS 22-329" in out
    assert 'why: watch: docket PS 22-329; watch: "network security"' in out
    assert out.count("ECFS filings PS 22-329 ·") == 3  # each filing once; the re-poll is a 304
