"""A throw-away PostgreSQL server on a free local port (Debian's initdb and pg_ctl), for the
tests and the load benchmark."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    return Path(which).parent if which else None


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:  # initdb refuses to run as root
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class Server:
    """A throw-away server's URL (without a database name), and its stop and start."""

    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self.root, self.data, self.port = root, root / "data", port
        self.pg_ctl = str(bindir / "pg_ctl")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "log")
        subprocess.run(
            _as_postgres(
                [self.pg_ctl, "-D", str(self.data), "-o", options, "-l", log, "-w", "start"]
            ),
            check=True,
            capture_output=True,
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast``: every session is ended, its open transaction rolled back;
        ``immediate``: the server quits at once, as on a power cut."""
        subprocess.run(
            _as_postgres([self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"]),
            capture_output=True,
        )


@contextmanager
def postgres_server() -> Iterator[Server]:
    """Start a server (trust authentication, no fsync), yield it, stop it and remove its
    files."""
    bindir = postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (make test installs it)")
    root = Path(tempfile.mkdtemp(prefix="planner-pg-"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = Server(bindir, root, port)
    initdb = [str(bindir / "initdb"), "-D", str(server.data), "--auth=trust", "-U", "postgres"]
    subprocess.run(
        _as_postgres([*initdb, "--encoding=UTF8", "--no-sync"]), check=True, capture_output=True
    )
    server.start()
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def temporary_postgres() -> Iterator[str]:
    """A throw-away server's SQLAlchemy URL, without a database name."""
    with postgres_server() as server:
        yield server.url


def create_database(server_url: str, name: str) -> str:
    import psycopg

    dsn = server_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(f"{dsn}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"
