"""Issue 10 defect 10: Teams replay ids survive a restart; the Workflows poster honours
HTTPS_PROXY; legacy logic.azure.com URLs are flagged; `calea-bot status` shows paused channels."""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from click.testing import CliRunner

from bot.app.cli import cli
from bot.sinks.teams.poster import WorkflowsPoster
from bot.store import Store
from tests.app.test_teams_cli import run, workflows  # noqa: F401
from tests.sinks.teams.test_webhook import activity, post, serve, services  # noqa: F401


def test_a_replayed_activity_is_refused_after_a_restart(serve, services):  # noqa: F811
    body = activity("<at>calea</at>&nbsp;subscribe calea", activity_id="once-only")
    first = serve()
    assert post(first, body).status_code == 200
    restarted = serve()  # a new endpoint on the same database: the bot restarted
    replayed = post(restarted, body)
    assert replayed.status_code == 401 and "replayed" in replayed.text


class _Proxy(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Proxy.seen.append(self.requestline)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_workflows_poster_goes_through_https_proxy_unless_no_proxy():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    proxy = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        poster = WorkflowsPoster(proxy=proxy, no_proxy=("internal.example",))
        result = poster.post("http://flows.example.com/wf?sig=secret", b"{}")
        assert result.status_code == 202
        assert _Proxy.seen == ["POST http://flows.example.com/wf?sig=secret HTTP/1.1"]
        direct = poster.post("http://hooks.internal.example:9/wf", b"{}")  # not proxied
        assert direct.status_code is None and len(_Proxy.seen) == 1
        poster.close()
    finally:
        server.shutdown()
        server.server_close()


def test_legacy_logic_azure_urls_are_flagged_on_add_and_list(run):  # noqa: F811
    legacy = "https://prod-01.westus.logic.azure.com:443/workflows/a1/triggers/manual/paths/invoke?sig=s3cr3t"
    added = run("add-channel", "old-flow", legacy)
    assert added.exit_code == 0
    assert "retired these on 2025-11-30" in added.output and "s3cr3t" not in added.output
    listed = run("list")
    assert "warning:" in listed.output and "retired" in listed.output
    modern = "https://x.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/1?sig=a"
    assert "retired" not in run("add-channel", "new-flow", modern).output


def test_status_shows_paused_channels(run, tmp_path):  # noqa: F811
    store = Store(run.db)
    now = dt.datetime.now(dt.UTC)
    try:
        destination = store.subscriptions.ensure_destination("teams", "ops", "ops", now=now)
        store.subscriptions.pause(destination.id, "webhook answered 404: flow deleted", now=now)
    finally:
        store.close()
    feeds = tmp_path / "feeds.yaml"
    result = CliRunner().invoke(cli, ["status", "--db", str(run.db), "--feeds", str(feeds)])
    assert result.exit_code == 0, result.output
    assert "Paused: teams ops — webhook answered 404: flow deleted" in result.output
