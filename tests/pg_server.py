"""A throw-away PostgreSQL server for the tests, started by the test run itself.

`discover()` finds a server's binaries, in this order:

1. `postgres` and `initdb` on PATH (symlinks resolved);
2. /usr/lib/postgresql/*/bin (Debian, newest first), /usr/pgsql-*/bin, /usr/local/pgsql/bin;
3. the binaries of the `pgserver` pip package, if it is installed (it is not a dependency);
4. as root with apt-get: `apt-get install -y -q postgresql` once (with `apt-get update` when
   the first try fails), then 1-2 again;
5. otherwise `PgServerUnavailable`, which the fixtures turn into a skip with the reasons.

Postgres refuses to run as root, so as root initdb and postgres run as the `postgres` user (else
`nobody`) through setpriv, in a temporary folder owned by that user; otherwise they run as the
current user. The server listens on 127.0.0.1 on a free port (and a unix socket in the folder),
with durability off for speed, and trusts every local connection: it is for tests only.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

SUPERUSER = "postgres"
START_TIMEOUT_SECONDS = 60.0
APT_TIMEOUT_SECONDS = 900.0
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "logging_collector": "off",
}

FOLDER_PREFIX = "calea-pg-"
OWNER_FILE = "owner.pid"
MIN_FREE_BYTES = 1 << 30

APT_SUCCEEDED = "`apt-get install postgresql` succeeded"

_apt_tried: str | None = None  # what the one apt-get attempt of this process said


class PgServerUnavailable(Exception):
    """No PostgreSQL server could be found or installed on this machine."""


def _bindir_of(postgres: Path) -> Path | None:
    """The folder holding both `postgres` and `initdb`, following a symlinked `postgres`."""
    for candidate in (postgres.parent, postgres.resolve().parent):
        if all(os.access(candidate / name, os.X_OK) for name in ("postgres", "initdb")):
            return candidate
    return None


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", str(path))) or (0,)


def find_installed() -> Path | None:
    """Rungs 1-2: a bin folder with postgres and initdb on PATH or at a usual place, or None."""
    on_path = shutil.which("postgres")
    if on_path and (found := _bindir_of(Path(on_path))):
        return found
    places = []
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"):
        places += sorted(Path("/").glob(pattern.lstrip("/")), key=_version_key, reverse=True)
    places.append(Path("/usr/local/pgsql/bin"))
    for place in places:
        if found := _bindir_of(place / "postgres"):
            return found
    return None


def find_pip_server() -> Path | None:
    """Rung 3: the binaries inside the `pgserver` package (without importing it), or None."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.origin:
        return None
    return _bindir_of(Path(spec.origin).parent / "pginstall" / "bin" / "postgres")


def install_with_apt() -> str:
    """Rung 4: `apt-get install postgresql`, once per process; returns what happened."""
    global _apt_tried
    if _apt_tried is None:
        _apt_tried = _apt_install()
        _say(f"pg_server: {_apt_tried}")
    return _apt_tried


def _apt_install() -> str:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "not root with apt-get, so nothing was installed"
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"]
    _say(f"pg_server: no PostgreSQL found; running `{' '.join(install)}` once")
    try:
        done = _apt(install)
        if done.returncode != 0:
            _apt(["apt-get", "update", "-q"])
            done = _apt(install)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"apt-get failed: {e}"
    if done.returncode != 0:
        return f"`{' '.join(install)}` exited {done.returncode}: {_tail(done.stderr)}"
    return APT_SUCCEEDED


def _apt(argv: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=APT_TIMEOUT_SECONDS,
    )
    log.warning("%s -> %s\n%s%s", " ".join(argv), done.returncode, done.stdout, done.stderr)
    return done


def discover() -> Path:
    """The bin folder of a PostgreSQL server, installing one with apt as a last resort."""
    if found := find_installed() or find_pip_server():
        return found
    tried = install_with_apt()
    if found := find_installed():
        return found
    if tried == APT_SUCCEEDED:
        tried += ", yet no binaries were found after it"
    raise PgServerUnavailable(
        "no PostgreSQL server could be found or installed: no postgres+initdb on PATH or under "
        f"/usr/lib/postgresql/*/bin, no pgserver package; {tried}"
    )


def _say(line: str) -> None:
    """A line on the real stderr (pytest captures sys.stderr) and in the log."""
    log.warning("%s", line)
    print(line, file=sys.__stderr__, flush=True)


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _remove_abandoned(parent: Path) -> None:
    """Remove the folders of earlier test runs that died without cleaning up (kill -9)."""
    for folder in parent.glob(f"{FOLDER_PREFIX}*"):
        try:
            pid = int((folder / OWNER_FILE).read_text())
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError):
            continue  # not ours to judge: no owner file yet, or another user's


def _reachable(path: Path, uid: int, gid: int) -> bool:
    """Whether user uid (group gid) can read path and traverse every folder down to it."""
    for folder in [path, *path.parents]:
        st = os.stat(folder)
        need = 0o5 if folder == path else 0o1  # r-x for path itself, --x above it
        shift = 6 if st.st_uid == uid else 3 if st.st_gid == gid else 0
        if (st.st_mode >> shift) & need != need:
            return False
    return True


class PgServer:
    """One PostgreSQL server in a temporary folder; `start()`, `create_database()`, `stop()`."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = 0
        self.base: Path | None = None
        self.process: subprocess.Popen | None = None
        self._admin: psycopg.Connection | None = None
        self._lock = threading.Lock()
        self.run_as = self._unprivileged_user() if os.geteuid() == 0 else None

    @staticmethod
    def _unprivileged_user() -> pwd.struct_passwd:
        for name in ("postgres", "nobody"):
            try:
                return pwd.getpwnam(name)
            except KeyError:
                continue
        raise PgServerUnavailable("running as root, and neither a postgres nor a nobody user")

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL for database dbname as the superuser over TCP."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def _command(self, *argv: str | Path) -> list[str]:
        """argv, dropped to the unprivileged user as root, ended with the test process."""
        prefix = []
        if shutil.which("setpriv"):
            prefix = ["setpriv", "--pdeathsig", "SIGQUIT"]
            if self.run_as:
                prefix += [f"--reuid={self.run_as.pw_uid}", f"--regid={self.run_as.pw_gid}"]
                prefix += ["--clear-groups"]
            prefix.append("--")
        return prefix + [str(a) for a in argv]

    def _popen_kwargs(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C", HOME=str(self.base))
        kwargs: dict = {"env": env, "cwd": self.base}
        if self.run_as and not shutil.which("setpriv"):
            kwargs.update(user=self.run_as.pw_uid, group=self.run_as.pw_gid, extra_groups=[])
        return kwargs

    def _parent_folder(self) -> Path:
        """/dev/shm when usable (CREATE DATABASE ~15x faster than on disk), else the temp dir."""
        uid, gid = (self.run_as.pw_uid, self.run_as.pw_gid) if self.run_as else (-1, -1)
        candidates = [Path("/dev/shm"), Path(tempfile.gettempdir()), Path("/tmp")]
        for folder in candidates:
            try:
                roomy = shutil.disk_usage(folder).free >= MIN_FREE_BYTES
                usable = folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
                if roomy and usable and (not self.run_as or _reachable(folder, uid, gid)):
                    return folder
            except OSError:
                continue
        return Path(tempfile.gettempdir())

    def _prepare_folder(self) -> None:
        parent = self._parent_folder()
        _remove_abandoned(parent)
        self.base = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=parent))
        (self.base / OWNER_FILE).write_text(str(os.getpid()))
        if self.run_as:
            uid, gid = self.run_as.pw_uid, self.run_as.pw_gid
            os.chown(self.base, uid, gid)
            if not _reachable(self.bindir / "postgres", uid, gid):
                self.bindir = self._copy_binaries(uid, gid)

    def _copy_binaries(self, uid: int, gid: int) -> Path:
        """Copy binaries the user cannot reach (a venv under /root) into the folder.

        The install folder (bin's parent) and pgserver's bundled libraries keep their places
        relative to each other, as the binaries' rpath expects.
        """
        assert self.base is not None
        site, copy = self.bindir.parents[2], self.base / "binaries"
        for rel in (self.bindir.parent.relative_to(site), Path("pgserver.libs")):
            if (site / rel).is_dir():
                shutil.copytree(site / rel, copy / rel, symlinks=True)
        for root, dirs, files in os.walk(copy):
            for name in [".", *dirs, *files]:
                os.lchown(os.path.join(root, name), uid, gid)
        return copy / self.bindir.relative_to(site)

    def start(self) -> PgServer:
        """initdb a fresh cluster and start the server; raise RuntimeError with its log if not."""
        self._prepare_folder()
        assert self.base is not None
        data = self.base / "data"
        initdb = [self.bindir / "initdb", "-D", data, "-U", SUPERUSER, "--auth=trust"]
        initdb += ["-E", "UTF8", "--locale=C", "--no-sync"]
        done = subprocess.run(
            self._command(*initdb), capture_output=True, text=True, **self._popen_kwargs()
        )
        if done.returncode != 0:
            self.stop()
            raise RuntimeError(f"initdb exited {done.returncode}: {_tail(done.stderr)}")
        for _attempt in range(3):
            if self._start_postgres(data):
                return self
        self.stop()
        raise RuntimeError("postgres could not bind a free port three times")

    def _start_postgres(self, data: Path) -> bool:
        """Start postgres on a free port; False if the port was taken meanwhile."""
        assert self.base is not None
        self.port = _free_port()
        argv: list[str | Path] = [self.bindir / "postgres", "-D", data, "-p", str(self.port)]
        argv += ["-k", self.base]
        for key, value in SERVER_SETTINGS.items():
            argv += ["-c", f"{key}={value}"]
        logfile = self.base / "postgres.log"
        with open(logfile, "ab") as out:
            self.process = subprocess.Popen(
                self._command(*argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self._popen_kwargs(),
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                text = logfile.read_text(errors="replace")
                if "already in use" in text or "could not bind" in text:
                    logfile.write_text("")
                    return False
                self.stop()
                raise RuntimeError(f"postgres exited {self.process.returncode}: {_tail(text)}")
            try:
                self._admin = psycopg.connect(self.url(), autocommit=True, connect_timeout=2)
                return True
            except psycopg.OperationalError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"postgres did not accept connections in {START_TIMEOUT_SECONDS:.0f} s")

    def create_database(self) -> str:
        """A new empty database (from template0); returns its URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with self._lock:
            assert self._admin is not None, "start() the server first"
            query = sql.SQL("CREATE DATABASE {} TEMPLATE template0")
            self._admin.execute(query.format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, url_or_name: str) -> None:
        """Drop a database made by create_database, closing any connection still open to it."""
        name = url_or_name.rsplit("/", 1)[-1]
        with self._lock:
            if self._admin is None:
                return
            query = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            self._admin.execute(query.format(sql.Identifier(name)))

    def databases(self) -> set[str]:
        """The names of the databases other than the templates and `postgres`."""
        with self._lock:
            assert self._admin is not None
            rows = self._admin.execute(
                "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres'"
            ).fetchall()
        return {name for (name,) in rows}

    def stop(self) -> None:
        """Fast shutdown (kill after 30 s) and remove the temporary folder."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def __enter__(self) -> PgServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server() -> PgServer:
    """Discover, then start a server; PgServerUnavailable when there is none to be had."""
    return PgServer(discover()).start()
