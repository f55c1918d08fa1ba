"""Adds the extraction-corpus precision/recall table to the pytest terminal summary."""

from __future__ import annotations

from tests.analysis import test_extraction_corpus


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 - pytest hook
    if test_extraction_corpus.REPORT:
        terminalreporter.section("extraction accuracy")
        for line in test_extraction_corpus.REPORT:
            terminalreporter.write_line(line)
