"""Starting and stopping the real servers the tests use."""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def _pg_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL server binaries not found: install Debian's postgresql")


@contextmanager
def postgres():
    """A throwaway PostgreSQL cluster on a free port; yields its SQLAlchemy URL."""
    bindir = _pg_bindir()
    root = Path(tempfile.mkdtemp(prefix="saldo-pg-"))
    root.chmod(0o755)
    datadir = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        datadir.mkdir()
        shutil.chown(datadir, "postgres", "postgres")
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True)  # noqa: E731
    run(str(bindir / "initdb"), "-D", str(datadir), "-U", "saldo", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    options += " -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off"
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(datadir),
        "-o",
        options,
        "-l",
        str(root / "log"),
        "-w",
        "start",
    )
    try:
        run(
            str(bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "saldo",
            "saldo_test",
        )
        yield f"postgresql+psycopg://saldo@127.0.0.1:{port}/saldo_test"
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def localstripe():
    """A localstripe server on a free port, from scratch; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def flush_localstripe(base: str) -> None:
    request = urllib.request.Request(f"{base}/_config/data", method="DELETE")
    urllib.request.urlopen(request, timeout=10).read()


#: how often a server thread looks for `shutdown()` (socketserver's default, 0.5 s, would
#: keep every test that stops a server waiting for up to half a second)
POLL_SECONDS = 0.01


@contextmanager
def served(server):
    """`server` (a socketserver server) answering in a thread for the `with` block, then
    shut down and closed."""
    thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class ServedInThread:
    """A server (`self._server`, a socketserver server) run in a thread while in its `with`
    block."""

    _server = None

    def __enter__(self):
        self._serving = served(self._server)
        self._serving.__enter__()
        return self

    def __exit__(self, *exc):
        self._serving.__exit__(*exc)


class LiveServer(ServedInThread):
    """The portal served by werkzeug in a thread, so Chromium and localstripe can reach it."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
