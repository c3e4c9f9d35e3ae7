"""`croupier serve --workers N` (web.workers): each worker accepts on a socket of its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from croupier.web import workers

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT balancing is Linux's")

_SERVE = """
import sys, uvicorn
from croupier.web import workers
config = uvicorn.Config("tests.ops.pid_app:app", host="127.0.0.1", port=int(sys.argv[1]),
                        workers=2, log_level="warning")
sys.exit(workers.run(config))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening_inodes(pid: int, port: int) -> set[int]:
    """Inodes of the TCP sockets that process ``pid`` holds and that listen on ``port``."""
    listening = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
            listening.add(int(fields[9]))
    held = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                held.add(int(target[8:-1]))
    except OSError:  # the process (or one of its fds) is gone
        return set()
    return listening & held


def _children(pid: int) -> list[int]:
    return [
        int(stat.parent.name)
        for stat in Path("/proc").glob("[0-9]*/stat")
        if _parent_of(stat) == pid
    ]


def _parent_of(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def test_each_worker_listens_on_its_own_socket_and_connections_reach_both() -> None:
    port = _free_port()
    parent = subprocess.Popen([sys.executable, "-c", _SERVE, str(port)])
    clients: list[httpx.Client] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the workers did not start"
                time.sleep(0.1)
        pids = set()
        for _ in range(64):  # keep-alive clients, each on a connection of its own
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
            clients.append(client)
            pids.add(int(client.get("/").text))
        workers_ = _children(parent.pid)
        assert len(workers_) >= 2
        sockets = {pid: _listening_inodes(pid, port) for pid in workers_ if pid in pids}
        # Both workers took connections (all 64 to one: a 2**-63 chance under the kernel's
        # hash), and each accepts on a socket of its own: with uvicorn's shared socket, both
        # would hold the same inode.
        assert len(sockets) == 2
        [first, second] = sockets.values()
        assert len(first) == len(second) == 1 and first != second

        # A worker that dies is replaced, and the port keeps serving.
        victim = next(iter(sockets))
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while len({p for p in _children(parent.pid) if _listening_inodes(p, port)} - {victim}) < 2:
            assert time.monotonic() < deadline, "the dead worker was not replaced"
            time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
    finally:
        for client in clients:
            client.close()
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(30) == 0


def test_a_port_held_by_another_server_fails_at_once() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = uvicorn.Config("tests.ops.pid_app:app", port=port, workers=2)
        assert workers.run(config) == workers.STARTUP_FAILURE


def test_port_zero_and_unix_sockets_are_left_to_uvicorn() -> None:
    assert workers.available(uvicorn.Config("x:app", port=8000, workers=2))
    assert not workers.available(uvicorn.Config("x:app", port=0, workers=2))
    assert not workers.available(uvicorn.Config("x:app", uds="/tmp/x.sock", workers=2))
