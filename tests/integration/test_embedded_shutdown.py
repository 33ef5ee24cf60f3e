"""`registry serve` on the embedded PostgreSQL leaves no server behind: stopped by SIGTERM it stops
PostgreSQL too, and a run killed outright (whose PostgreSQL keeps running) does not keep the next
run from stopping it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]



def _postgres_for(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if any(str(pgdata) in part for part in cmdline) and any("postgres" in part for part in cmdline[:1]):
            found.append(proc)
    return found


def _serve(data_dir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REGISTRY_ENV")}
    env.update(REGISTRY_DATA_DIR=str(data_dir), REGISTRY_CHECKPOINT_SECONDS="0")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "registry.cli", "serve", "--dev", "--port", str(port),
                             "--log-level", "warning"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"registry serve exited early with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.2)
    proc.kill()
    pytest.fail("registry serve did not start listening")


def test_sigterm_stops_the_embedded_postgres_even_after_a_killed_run(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    killed = _serve(tmp_path)
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    assert _postgres_for(pgdata), "a killed run leaves its PostgreSQL running (the case this test is about)"

    served = _serve(tmp_path)
    served.send_signal(signal.SIGTERM)
    assert served.wait(60) == 128 + signal.SIGTERM
    deadline = time.monotonic() + 20
    while _postgres_for(pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _postgres_for(pgdata), "PostgreSQL still runs after registry serve was stopped by SIGTERM"
    assert (pgdata / ".handle_pids.json").read_text().strip() == "[]"
