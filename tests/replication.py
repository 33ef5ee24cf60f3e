"""A real primary and a real streaming replica on loopback, from the PostgreSQL binaries pgserver ships
(initdb, pg_ctl, pg_basebackup -R): no system PostgreSQL needed. As root (containers, CI) the servers run as
pgserver's own unprivileged user, as the embedded database does."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pgserver._commands import POSTGRES_BIN_PATH

from tests.support import free_port

RUN_AS = "pgserver" if os.geteuid() == 0 else None


@dataclass
class Cluster:
    primary_url: str
    replica_url: str
    primary: Path
    replica: Path
    database: str = "postgres"

    def url(self, server: str) -> str:
        """``server`` (primary_url or replica_url) pointed at the current database."""
        return server.rsplit("/", 1)[0] + "/" + self.database

    def stop_replica(self) -> None:
        _run("pg_ctl", "-D", str(self.replica), "-m", "fast", "-w", "stop")

    def start_replica(self) -> None:
        _run("pg_ctl", "-D", str(self.replica), "-l", str(self.replica.parent / "replica.log"), "-w", "start")


def _run(tool: str, *args: str) -> None:
    done = subprocess.run([str(POSTGRES_BIN_PATH / tool), *args], capture_output=True, text=True, timeout=120,
                          user=RUN_AS, cwd="/", check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{tool} {' '.join(args)} failed: {done.stdout}{done.stderr}")


@contextmanager
def replicated_cluster() -> Iterator[Cluster]:
    base = Path(tempfile.mkdtemp(prefix="registry-replication-"))
    base.chmod(0o755)
    if RUN_AS is not None:
        from pgserver.utils import ensure_user_exists

        entry = ensure_user_exists(RUN_AS)
        assert entry is not None
        os.chown(base, entry.pw_uid, entry.pw_gid)
    primary, replica = base / "primary", base / "replica"
    p_port, r_port = free_port(), free_port()
    started: list[Path] = []
    try:
        _run("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "--encoding=utf8")
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {p_port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
                       "wal_level = replica\nmax_wal_senders = 4\nfsync = off\nsynchronous_commit = off\n")
        _run("pg_ctl", "-D", str(primary), "-l", str(base / "primary.log"), "-w", "start")
        started.append(primary)
        _run("pg_basebackup", "-h", "127.0.0.1", "-p", str(p_port), "-U", "postgres", "-D", str(replica), "-R",
             "-X", "stream", "--checkpoint=fast")
        with (replica / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {r_port}\nhot_standby = on\n")
        _run("pg_ctl", "-D", str(replica), "-l", str(base / "replica.log"), "-w", "start")
        started.append(replica)
        yield Cluster(f"postgresql://postgres@127.0.0.1:{p_port}/postgres",
                      f"postgresql://postgres@127.0.0.1:{r_port}/postgres", primary, replica)
    finally:
        for data in reversed(started):
            subprocess.run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60, user=RUN_AS, cwd="/", check=False)
        shutil.rmtree(base, ignore_errors=True)
