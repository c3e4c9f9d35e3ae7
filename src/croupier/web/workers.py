"""Worker processes that each accept on a listening socket of their own (Linux SO_REUSEPORT).

uvicorn's ``--workers`` binds one socket in the parent and shares it: every worker accepts
from one queue, and whichever is idle in ``accept`` when a burst of connections arrives takes
most of them. Keep-alive connections stay where they landed, so 64 players could end up 5 on
one worker and 59 on the other for the whole session: the loaded worker is the bottleneck
while the other idles (in the spin benchmark, 1,264 spins/s against 1,774 with 32 and 32).

Here each worker binds its own socket in a SO_REUSEPORT group, and the kernel spreads new
connections over the group by a hash of their addresses (uvicorn's open pull request #2472
does the same); web.balance then evens out what the hash left uneven, through connection
counts the workers share in an array the parent gives them. The parent only starts the
workers, restarts one that dies, and stops them all on SIGINT or SIGTERM (each then shuts down
gracefully, as uvicorn's own workers do).

This module owns processes and sockets: server plumbing, like the CLI that calls it.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import threading
from collections.abc import MutableSequence
from multiprocessing.process import BaseProcess

import structlog
import uvicorn
from uvicorn.config import STARTUP_FAILURE  # the exit code of a worker that could not start

from croupier.web.balance import ConnectionShare

log = structlog.get_logger("croupier.workers")


def available(config: uvicorn.Config) -> bool:
    """Whether this platform and address can be served by a SO_REUSEPORT group (a TCP port
    chosen in advance: with port 0 every worker would get a port of its own)."""
    return (
        sys.platform == "linux"
        and hasattr(socket, "SO_REUSEPORT")
        and config.uds is None
        and config.fd is None
        and config.port != 0
    )


def _socket(host: str, *, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio turns on TCP_NODELAY only for sockets that say they are TCP.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    # As uvicorn does: a restart must not wait for the last run's connections in TIME_WAIT.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock


def run(config: uvicorn.Config) -> int:
    """Serve ``config`` with ``config.workers`` processes until SIGINT/SIGTERM; returns the exit
    code (STARTUP_FAILURE when a worker could not start)."""
    # Fail here, once, if the port is taken by anything outside the group (another server).
    probe = _socket(config.host, reuse_port=False)
    try:
        probe.bind((config.host, config.port))
    except OSError as exc:
        log.error("bind_failed", host=config.host, port=config.port, error=str(exc))
        return STARTUP_FAILURE
    finally:
        probe.close()
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    context = multiprocessing.get_context("spawn")
    # Slot i: the connections worker i holds (web.balance). Each worker writes only its own slot.
    counts = context.RawArray("i", config.workers)
    workers = [_start(context, config, counts, i) for i in range(config.workers)]
    code = 0
    while not stopping.wait(0.5):
        for i, worker in enumerate(workers):
            if worker.is_alive():
                continue
            if worker.exitcode == STARTUP_FAILURE:  # it would fail the same way again
                log.error("worker_failed_to_start", pid=worker.pid)
                code = STARTUP_FAILURE
                stopping.set()
                break
            log.warning("worker_died", pid=worker.pid, exitcode=worker.exitcode)
            workers[i] = _start(context, config, counts, i)
    for worker in workers:
        if worker.is_alive():
            worker.terminate()  # SIGTERM: uvicorn finishes requests and runs the lifespan exit
    for worker in workers:
        worker.join()
    return code


def _start(
    context: multiprocessing.context.SpawnContext,
    config: uvicorn.Config,
    counts: MutableSequence[int],
    index: int,
) -> BaseProcess:
    worker = context.Process(target=_serve, args=(config, counts, index), name="croupier-worker")
    worker.start()
    return worker


def _serve(config: uvicorn.Config, counts: MutableSequence[int], index: int) -> None:
    """Worker ``index``: its own socket in the group, then uvicorn's server on it, with the
    app behind web.balance."""
    config.configure_logging()
    sock = _socket(config.host, reuse_port=True)  # a socket in the port's SO_REUSEPORT group
    try:
        sock.bind((config.host, config.port))
    except OSError:
        sys.exit(STARTUP_FAILURE)
    server = uvicorn.Server(config)
    config.load()  # as server.run would; done here so that the loaded app can be wrapped
    config.loaded_app = ConnectionShare(
        config.loaded_app, connections=server.server_state.connections, counts=counts, index=index
    )
    server.run(sockets=[sock])
    if not server.started:  # the app's startup failed: it would fail the same way again
        sys.exit(STARTUP_FAILURE)
