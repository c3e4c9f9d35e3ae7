"""`croupier serve --workers N` (web.workers): each worker accepts on a socket of its own."""

from __future__ import annotations

import collections
import http.client
import os
import random
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


def _start_group(port: int) -> subprocess.Popen[bytes]:
    """`workers.run` serving tests.ops.pid_app with two workers on ``port``, once both listen
    (until then the group, and so the kernel's hash of a connection to it, is not settled)."""
    parent = subprocess.Popen([sys.executable, "-c", _SERVE, str(port)])
    deadline = time.monotonic() + 30
    while len([pid for pid in _children(parent.pid) if _listening_inodes(pid, port)]) < 2:
        if time.monotonic() > deadline:
            parent.kill()
            raise AssertionError("the workers did not start")
        time.sleep(0.1)
    return parent


def test_each_worker_listens_on_its_own_socket_and_connections_reach_both() -> None:
    port = _free_port()
    parent = _start_group(port)
    clients: list[httpx.Client] = []
    try:
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


def _served_by(connection: http.client.HTTPConnection, **headers: str) -> tuple[int, bool]:
    """The pid of the worker that answers a request on ``connection``, and whether it asked
    the client to reconnect."""
    connection.request("GET", "/", headers=headers)
    response = connection.getresponse()
    return int(response.read()), response.will_close


def _ports_hashed_to_one_worker(port: int, wanted: int) -> list[int]:
    """Client ports whose connections the kernel's hash sends to one and the same worker (the
    hash of a connection's addresses is fixed while the group is)."""
    by_worker: dict[int, list[int]] = collections.defaultdict(list)
    for source in range(random.randrange(20_000, 30_000, 1000), 32_000):
        try:
            pid = _probe(port, source)
        except OSError:  # the port is taken on this machine: try the next
            continue
        by_worker[pid].append(source)
        if len(by_worker[pid]) == wanted:
            return by_worker[pid]
    raise AssertionError("no worker got enough probes")


def _probe(port: int, source: int) -> int:
    """The pid of the worker that serves a connection from client port ``source``. The server
    closes first (read to its end of file), so it, not this port, keeps the closed connection
    in TIME_WAIT, and the port can connect again at once."""
    with socket.create_connection(("127.0.0.1", port), 5, ("127.0.0.1", source)) as probe:
        probe.sendall(b"GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := probe.recv(4096):
            received += chunk
    return int(received.partition(b"\r\n\r\n")[2])


def _request_round(connections: list[http.client.HTTPConnection], port: int) -> list[int]:
    """A request on every connection; the pids that served them. A connection the server asks
    to close is replaced, as clients do, by a new one from a port of the system's: reconnecting
    from its fixed port could find that port still in TIME_WAIT (when this side's close came
    first), and would hash to the same worker again anyway."""
    served_by = []
    for i, connection in enumerate(connections):
        pid, will_close = _served_by(connection)
        served_by.append(pid)
        if will_close:
            connection.close()
            connections[i] = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    return served_by


def test_keep_alive_connections_end_up_evenly_spread_over_the_workers() -> None:
    """Sixteen keep-alive connections that all hash to one worker: web.balance asks the
    surplus ones to reconnect, and their new connections even out the split at 8 and 8."""
    port = _free_port()
    parent = _start_group(port)
    connections: list[http.client.HTTPConnection] = []
    try:
        sources = _ports_hashed_to_one_worker(port, 16)
        connections = [
            http.client.HTTPConnection("127.0.0.1", port, source_address=("127.0.0.1", source))
            for source in sources
        ]
        assert len(set(_request_round(connections, port))) == 1  # 16 and 0
        for _ in range(40):  # rounds: a request on every connection
            served_by = _request_round(connections, port)
            split = sorted(collections.Counter(served_by).values())
            if split == [8, 8]:
                break
            time.sleep(0.05)  # let a worker that got no request republish its count
        assert split == [8, 8]
    finally:
        for connection in connections:
            connection.close()
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(30) == 0
