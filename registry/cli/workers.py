"""``registry serve --workers N``: N server processes on one port, supervised by this one.

Each worker binds the port itself with ``SO_REUSEPORT``, so the kernel spreads incoming connections over
the workers (a shared listening socket would let one busy worker accept most keep-alive connections). The
parent has already checked the configuration, started the embedded PostgreSQL (if any) and migrated; it
restarts a worker that dies, and on SIGTERM or Ctrl-C asks every worker to drain (SIGTERM: uvicorn finishes
the requests in flight), waits, then returns (128 + the signal, as a single server would) so the
embedded database is stopped. The background jobs run
once across the workers: whichever holds the database's leader lock (``registry.database.while_leader``).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from multiprocessing.process import BaseProcess

from registry.config import Settings

__all__ = ["serve"]

#: How long the workers get to drain on shutdown before they are killed.
DRAIN_SECONDS = 30.0


def serve(settings: Settings, dsn: str, host: str, port: int, log_level: str, count: int) -> int:
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter each: no inherited loop, pool or locks
    # Metrics of every worker add up in one scrape: prometheus-client's multiprocess mode, files in a fresh
    # folder (an operator's own PROMETHEUS_MULTIPROC_DIR is used as given; it must be emptied between runs).
    own_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        own_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="registry-metrics-")
    try:
        return _supervise(ctx, settings, dsn, host, port, log_level, count)
    finally:
        if own_dir is not None:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]
            shutil.rmtree(own_dir, ignore_errors=True)


def _supervise(ctx: multiprocessing.context.SpawnContext, settings: Settings, dsn: str, host: str, port: int,
               log_level: str, count: int) -> int:
    procs: dict[int, BaseProcess] = {}
    stopping = 0  # the signal that stops the workers

    def start(index: int) -> None:
        proc = ctx.Process(target=_worker, args=(settings, dsn, host, port, log_level, index),
                           name=f"registry-worker-{index}")
        proc.start()
        procs[index] = proc
        print(f"worker {index}: pid {proc.pid}", file=sys.stderr, flush=True)

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = signum

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(count):
        start(index)
    print(f"{count} workers on port {port}", file=sys.stderr, flush=True)
    while not stopping:
        time.sleep(0.5)
        for index, proc in list(procs.items()):
            if not stopping and not proc.is_alive():
                _forget_metrics_of(proc.pid)
                print(f"worker {index} (pid {proc.pid}) exited with {proc.exitcode}; restarting it", file=sys.stderr)
                start(index)
    for proc in procs.values():
        if proc.is_alive():
            proc.terminate()  # SIGTERM: the worker drains and exits
    deadline = time.monotonic() + DRAIN_SECONDS
    for proc in procs.values():
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(5)
    return 128 + stopping  # as a single `registry serve` stopped by the same signal


def _forget_metrics_of(pid: int | None) -> None:
    """A dead worker's live gauges (its pool) must not count any more; its counters stay in the sums."""
    from prometheus_client import multiprocess

    if pid is not None:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def _worker(settings: Settings, dsn: str, host: str, port: int, log_level: str, index: int) -> None:
    import uvicorn

    from registry.services import Services
    from server import create_app

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    app = create_app(settings, services=Services.build(settings), database_url=dsn, worker=index,
                     freeze_heap=True)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    from registry import logs

    logs.configure(settings.log_format)
    uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=False,
                                  log_config=logs.uvicorn_log_config(settings.log_format, log_level))
                   ).run(sockets=[sock])
