"""`registry serve --workers N`: several processes on one port. Connections reach every worker; exactly one of
them runs the background jobs (the database's leader lock); a worker killed outright is restarted and the
jobs move if it held them; SIGTERM drains every worker and stops the embedded PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.integration.test_embedded_shutdown import _postgres_for
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]


def _ready(port: int) -> dict[str, object] | None:
    """One /readyz on a fresh connection (urllib closes it): which worker answered, and whether it leads."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as resp:
            body: dict[str, object] = json.loads(resp.read())
            return body
    except OSError:
        return None


def _until(what: str, test: object, seconds: float = 90) -> None:
    """Poll ``test`` (a callable) until it is true: waiting for processes, not a timing assertion."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if test():  # type: ignore[operator]
            return
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}")


def _answers(port: int, tries: int = 40) -> list[dict[str, object]]:
    return [r for r in (_ready(port) for _ in range(tries)) if r is not None and r.get("status") == "ready"]


def test_workers_share_the_port_elect_one_leader_and_stop_together(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REGISTRY_ENV")}
    env.update(REGISTRY_DATA_DIR=str(tmp_path), REGISTRY_CHECKPOINT_SECONDS="1")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "registry.cli", "serve", "--dev", "--workers", "2",
                                 "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=out)
    try:
        def both_answer() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"registry serve exited with {proc.returncode}: {log.read_text()[-2000:]}")
            return {r["worker"] for r in _answers(port)} == {0, 1}

        _until("both workers to answer on the one port", both_answer)
        assert all(int(str(r["gcFrozenObjects"])) > 10_000 for r in _answers(port))  # each froze its start-up heap

        def one_leader() -> bool:
            leaders = {r["worker"] for r in _answers(port) if r["leader"]}
            followers = {r["worker"] for r in _answers(port) if not r["leader"]}
            return len(leaders) == 1 and leaders.isdisjoint(followers) and leaders | followers == {0, 1}

        _until("exactly one worker to run the background jobs", one_leader)
        leader = int(str(next(r["worker"] for r in _answers(port) if r["leader"])))
        children = {c.pid for c in psutil.Process(proc.pid).children()}  # and multiprocessing's resource tracker
        assert set(_pids(log).values()) <= children and len(_pids(log)) == 2

        # the leader killed outright: the parent starts a new worker in its place, and one worker leads again
        leader_pid = _pids(log)[leader]
        os.kill(leader_pid, signal.SIGKILL)
        _until("the killed worker to be replaced", lambda: _pids(log)[leader] != leader_pid and both_answer())
        _until("a leader again", lambda: sum(1 for r in {r["worker"]: r for r in _answers(port)}.values()
                                             if r["leader"]) == 1)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(90)
    assert code == 128 + signal.SIGTERM, log.read_text()[-2000:]
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                   for pid in _pids(log).values()), "a worker outlived registry serve"
    _until("the embedded PostgreSQL to stop", lambda: not _postgres_for(tmp_path / "pgdata"), 30)
    assert f"worker {leader} (pid {leader_pid}) exited" in log.read_text()


def _pids(log: Path) -> dict[int, int]:
    """The latest pid of each worker, from the parent's "worker N: pid P" lines."""
    pids = {}
    for line in log.read_text().splitlines():
        if line.startswith("worker ") and ": pid " in line:
            index, pid = line.removeprefix("worker ").split(": pid ")
            pids[int(index)] = int(pid)
    return pids
