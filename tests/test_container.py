"""The Dockerfile, docker-compose.yml and README agree with the package (no docker build here)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import httpx
import yaml

from bot.app.cli import cli
from bot.app.web import build_web_app
from bot.settings import DEFAULT_PORT
from tests.app.test_run import wait_for

REPO = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def one(name: str) -> str:
    found = [args for word, args in instructions() if word == name]
    assert len(found) == 1, f"{name}: {found}"
    return found[0]


def env() -> dict[str, str]:
    values = {}
    for word, args in instructions():
        if word == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                values[key] = value
    return values


def test_dockerfile_base_user_volume_and_database():
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", one("FROM"))
    user = one("USER")
    assert user not in ("root", "0") and not user.startswith("0:")
    assert "/data" in json.loads(one("VOLUME"))
    assert env()["CALEA_BOT_DB"] == "/data/calea-bot.db"


def test_dockerfile_runs_an_entry_point_of_the_package():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    entrypoint = json.loads(one("ENTRYPOINT"))
    command = json.loads(one("CMD"))
    assert entrypoint[0] in scripts and scripts[entrypoint[0]] == "bot.app.cli:main"
    assert command[0] in cli.commands and command == ["run"]


def test_exposed_port_is_the_default_port_and_the_healthcheck_path_is_served():
    assert int(one("EXPOSE")) == DEFAULT_PORT == int(env()["PORT"])
    healthcheck = one("HEALTHCHECK")
    path = re.search(r"https?://[^/'\"]+(/[\w/-]+)", healthcheck).group(1)
    assert "PORT" in healthcheck

    async def get():
        transport = httpx.ASGITransport(app=build_web_app([]))
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
            return await client.get(path)

    response = asyncio.run(get())
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_compose_example_matches_the_image():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    (service,) = compose["services"].values()
    assert service["command"] == ["run"]
    assert any(str(p).endswith(f":{DEFAULT_PORT}") for p in service["ports"])
    assert any(str(v).split(":")[1] == "/data" for v in service["volumes"])
    assert service["environment"]["CALEA_BOT_DB"] == "/data/calea-bot.db"
    assert "replicas" not in str(service.get("deploy", ""))


DEPLOY = REPO / "deploy"
#: What the load balancer in deploy/ must send to the replicas.
ROUTED_PATHS = ("/slack/events", "/slack/install", "/slack/oauth_redirect", "/teams/messages")
DEPLOY_SECRETS = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET")


def deploy_compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def replicas(compose: dict) -> dict[str, dict]:
    """The services built from the repository's Dockerfile."""
    return {name: s for name, s in compose["services"].items() if "build" in s}


def test_the_single_replica_example_points_at_deploy_for_several():
    assert "deploy/docker-compose.yml" in (REPO / "docker-compose.yml").read_text()


def test_deploy_compose_runs_replicas_of_the_image_on_one_postgres():
    compose = deploy_compose()
    postgres = compose["services"]["postgres"]
    assert re.fullmatch(r"postgres:16(\.\d+)?(-\w+)?", postgres["image"])
    assert "pg_isready" in str(postgres["healthcheck"]["test"])
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    assert "ports" not in postgres

    bots = replicas(compose)
    assert bots, "no service is built from the Dockerfile"
    assert sum(s.get("deploy", {}).get("replicas", 1) for s in bots.values()) >= 2
    for name, bot in bots.items():
        assert (DEPLOY / bot["build"] / "Dockerfile").resolve() == REPO / "Dockerfile", name
        assert bot["command"] == ["run"]
        assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
        environment = bot["environment"]
        url = environment["DATABASE_URL"]
        assert re.fullmatch(r"postgresql://\w+:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432/\w+", url)
        assert int(environment["PORT"]) == DEFAULT_PORT
        for secret in (*DEPLOY_SECRETS, "CALEA_BOT_TOKEN_KEY"):
            assert environment[secret].startswith("${" + secret), (name, secret)
        assert "/healthz" in str(bot["healthcheck"]["test"])
        # Scalable: no fixed host port, no fixed container name.
        assert "ports" not in bot and "container_name" not in bot
    for source in (v.split(":")[0] for s in bots.values() for v in s.get("volumes", [])):
        assert source.startswith(".") and (DEPLOY / source).exists(), source


def test_deploy_compose_comments_say_how_to_scale_and_where_secrets_live():
    text = (DEPLOY / "docker-compose.yml").read_text()
    (bot,) = replicas(deploy_compose())
    assert f"--scale {bot}=" in text and ".env" in text
    example = (DEPLOY / ".env.example").read_text()
    for name in (*DEPLOY_SECRETS, "CALEA_BOT_TOKEN_KEY", "POSTGRES_PASSWORD"):
        assert name in text and re.search(rf"^{name}=", example, re.MULTILINE), name
    assert ".env" in (DEPLOY / ".gitignore").read_text().split()


def test_the_load_balancer_routes_the_chat_paths_to_every_replica():
    compose = deploy_compose()
    (bot,) = replicas(compose)
    (lb,) = [s for s in compose["services"].values() if str(s.get("image", "")).startswith("nginx")]
    assert any(str(p).split(":")[-2:] == [str(DEFAULT_PORT)] * 2 for p in lb["ports"])
    (mount,) = lb["volumes"]
    config = (DEPLOY / mount.split(":")[0]).read_text()
    assert mount.split(":")[1].startswith("/etc/nginx/")

    upstreams = dict(re.findall(r"upstream\s+(\w+)\s*\{([^}]*)\}", config))
    (upstream,) = upstreams
    assert re.search(rf"server\s+{bot}:{DEFAULT_PORT}\b[^;]*\bresolve\b", upstreams[upstream])
    assert re.search(rf"listen\s+{DEFAULT_PORT};", config)
    routes = dict(re.findall(r"location\s+=\s+(\S+)\s*\{\s*proxy_pass\s+http://(\w+);", config))
    for path in (*ROUTED_PATHS, "/healthz"):
        assert routes.get(path) == upstream, path
    assert "/metrics" not in routes


def test_dockerignore_keeps_databases_secrets_and_the_venv_out():
    ignored = (REPO / ".dockerignore").read_text().split()
    for pattern in (".venv", ".git", "*.db", "*.db-wal", ".env"):
        assert pattern in ignored


def test_readme_keeps_its_first_two_commands_and_shows_docker_compose():
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.DOTALL)
    assert blocks[0] == (
        "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/calea-bot run\n"
    )
    assert blocks[1] == (
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && "
        ".venv/bin/python -m pytest\n"
    )
    assert "docker compose up" in blocks[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_serves_healthz_on_port_without_any_chat_platform(tmp_path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("sources:\n  - {id: parked, url: 'https://example.gov/f', enabled: false}\n")
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_"))}
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--feeds", str(feeds), "--db", str(tmp_path / "b.db")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**clean, "PORT": str(port), "HOST": "127.0.0.1"},
        start_new_session=True,
    )

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        assert wait_for(healthy, 30), "no /healthz"
    finally:
        bot.terminate()
        try:
            bot.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(bot.pid, 9)
