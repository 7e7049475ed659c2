"""Start and stop gunicorn with the project's settings file, on a free 127.0.0.1 port."""

import http.client
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONF = "config/gunicorn.conf.py"
FALLBACK_CONF = "bench/gunicorn_conf.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings(env: dict[str, str]) -> dict:
    """Evaluate the gunicorn settings file under `env`, as gunicorn will."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return runpy.run_path(str(ROOT / CONF))
    finally:
        os.environ.clear()
        os.environ.update(saved)


class StartupError(RuntimeError):
    """gunicorn exited before it answered."""


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen
    log: Path

    def log_tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_ready(server: Server, path: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise StartupError(f"gunicorn ({server.name}) exited:\n{server.log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(
        f"gunicorn ({server.name}) not ready in {timeout:.0f}s:\n{server.log_tail()}"
    )


def stop(server: Server) -> None:
    """Quick shutdown (SIGQUIT) of the master and its workers; SIGKILL the group if it lingers."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGQUIT)
        with suppress(subprocess.TimeoutExpired):
            server.proc.wait(timeout=10)
    # the group was created for this gunicorn (start_new_session); catch stray workers too
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(server.proc.pid, signal.SIGKILL)
    server.proc.wait(timeout=5)


@contextmanager
def gunicorn(
    name: str, app: str, env: dict[str, str], logdir: Path, ready_path: str = "/", conf: str = CONF
):
    """Run `gunicorn -c CONF APP` until the block ends (also on error)."""
    port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])
    log = logdir / f"gunicorn-{name}.log"
    with open(log, "wb") as err:
        # stdout carries the access log (the settings file's logconfig_dict); discard it
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", conf, "--no-control-socket", app],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    server = Server(name, port, proc, log)
    try:
        _wait_ready(server, ready_path)
        yield server
    finally:
        stop(server)


class Launcher:
    """Runs gunicorn with the project's settings file; if that file cannot start gunicorn
    because of its logging configuration, uses bench/gunicorn_conf.py and keeps a note why."""

    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.conf = CONF
        self.note: str | None = None

    @contextmanager
    def run(self, name: str, app: str, env: dict[str, str], ready_path: str = "/"):
        with ExitStack() as stack:
            try:
                server = stack.enter_context(
                    gunicorn(name, app, env, self.logdir, ready_path, self.conf)
                )
            except StartupError as exc:
                if self.conf != CONF or "Unable to configure" not in str(exc):
                    raise
                lines = [line for line in str(exc).splitlines() if line.strip()]
                self.note = f"{CONF} does not start gunicorn ({lines[-1].strip()})"
                self.conf = FALLBACK_CONF
                server = stack.enter_context(
                    gunicorn(name, app, env, self.logdir, ready_path, self.conf)
                )
            yield server


def cpu_seconds(server: Server) -> float | None:
    """User+system CPU time of the gunicorn master and workers (its process group), or None
    where /proc is not available."""
    if not os.path.isdir("/proc"):
        return None
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == server.proc.pid:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / ticks
