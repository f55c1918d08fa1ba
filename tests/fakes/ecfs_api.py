"""A loopback fake of the FCC ECFS public API (GET /ecfs/filings), on the test feed server.

Built from the documented response shape: {"filing": [{id_submission, date_received,
date_disseminated, filers: [{name}], submissiontype: {description}, documents: [{src}],
proceedings: [{name}]}]}. It checks api_key, filters by proceedings.name, sorts newest first
and can answer 429 with Retry-After (api.data.gov's rate limit, e.g. for DEMO_KEY).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.fakes.feed_server import FeedServer

PATH = "/ecfs/filings"


def filing(
    submission: str,
    proceeding: str,
    *,
    filer: str = "CTIA",
    kind: str = "COMMENT",
    day: str = "2025-11-03",
) -> dict:
    """One filing as ECFS returns it."""
    return {
        "id_submission": submission,
        "date_received": f"{day}T14:03:00.000Z",
        "date_disseminated": f"{day}T16:00:00.000Z",
        "filers": [{"name": filer}],
        "submissiontype": {"abbreviation": kind[:2], "description": kind},
        "documents": [
            {"src": f"https://www.fcc.gov/ecfs/document/{submission}1/1", "filename": "filing.pdf"}
        ],  # fmt: skip
        "proceedings": [{"name": proceeding, "description": "test proceeding"}],
    }


@dataclass
class FakeEcfs:
    """Filings by proceeding, the key it accepts, and an optional rate limit."""

    server: FeedServer
    api_key: str = "DEMO_KEY"
    filings: list[dict] = field(default_factory=list)
    limited: bool = False  # answer 429 OVER_RATE_LIMIT
    retry_after: int = 3600

    def __post_init__(self) -> None:
        self.server.handle(PATH, self._answer)

    @property
    def url(self) -> str:
        return self.server.url(PATH)

    def queries(self) -> list[dict[str, list[str]]]:
        """The query of every request received."""
        return [parse_qs(urlsplit(r.path).query) for r in self.server.requests_to(PATH)]

    def _answer(self, handler: BaseHTTPRequestHandler, server: FeedServer) -> None:
        query = parse_qs(urlsplit(handler.path).query)
        if query.get("api_key") != [self.api_key]:
            self._send(handler, 403, {"error": {"code": "API_KEY_INVALID"}})
        elif self.limited:
            self._send(handler, 429, {"error": {"code": "OVER_RATE_LIMIT"}},
                       {"Retry-After": str(self.retry_after)})  # fmt: skip
        else:
            name = (query.get("proceedings.name") or [""])[0]
            limit = int((query.get("limit") or ["25"])[0])
            found = [f for f in self.filings if f["proceedings"][0]["name"] == name]
            found.sort(key=lambda f: f["date_disseminated"], reverse=True)
            self._send(handler, 200, {"filing": found[:limit]})

    @staticmethod
    def _send(handler, status: int, data: dict, headers: dict | None = None) -> None:
        body = json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.write_body(body)
