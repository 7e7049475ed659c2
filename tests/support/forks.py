"""Worker processes forked from one booted parent, as gunicorn's `preload_app` forks its
workers: the parent imports the app once, and each child is a process of its own (its own
database connections, its own memory) running a `flask` command or a script from the start
of its `main`. A race of many processes then costs one boot instead of one per process.

The parent runs `python -c PARENT` with the workers' environment and reads one JSON request
per line on its standard input; it forks, the child runs the request with its output in two
files, and the parent writes the child's exit status next to them when it ends.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PARENT = r"""
import json, os, select, sys, time
from portal import create_app
import flask.cli, portal.jobs_cli
create_app()  # every module a worker imports at boot, imported once here
running = {}

def reap():
    while running:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        folder = running.pop(pid)
        with open(folder + "/rc.tmp", "w") as f:
            f.write(str(os.waitstatus_to_exitcode(status)))
        os.rename(folder + "/rc.tmp", folder + "/rc")

def child(request):
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, name in ((1, "out"), (2, "err")):
        os.dup2(os.open(request["folder"] + "/" + name, os.O_WRONLY | os.O_CREAT, 0o644), fd)
    code = 0
    try:
        sys.argv = request["argv"]
        if request["script"] is None:
            flask.cli.main()
        else:
            exec(compile(request["script"], "<script>", "exec"), {"__name__": "__main__"})
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

print("ready", flush=True)
pending = b""
while True:
    readable, _, _ = select.select([0], [], [], 0.01)
    reap()
    if not readable:
        continue
    data = os.read(0, 65536)
    if not data:
        break
    pending += data
    *lines, pending = pending.split(b"\n")
    for line in lines:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request)
        running[pid] = request["folder"]
        with open(request["folder"] + "/pid", "w") as f:
            f.write(str(pid))
while running:  # stdin closed: wait for the children still running
    time.sleep(0.01)
    reap()
"""


class Forked:
    """One forked worker, with the part of `subprocess.Popen` the tests use."""

    def __init__(self, folder: Path, parent: subprocess.Popen):
        self.folder = folder
        self.returncode: int | None = None
        self._parent = parent

    @property
    def pid(self) -> int:
        while not (self.folder / "pid").exists():
            self._check_parent()
            time.sleep(0.005)
        return int((self.folder / "pid").read_text())

    def poll(self) -> int | None:
        if self.returncode is None and (self.folder / "rc").exists():
            self.returncode = int((self.folder / "rc").read_text())
        if self.returncode is None:
            self._check_parent()
        return self.returncode

    def _check_parent(self) -> None:
        """The parent writes every child's exit status before it exits, so a parent gone
        with this one unwritten died: say so now rather than at a timeout."""
        if self._parent.poll() is not None and not (self.folder / "rc").exists():
            raise RuntimeError(f"the workers' parent exited ({self._parent.returncode})")

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("forked worker", timeout)
            time.sleep(0.01)
        return (self.folder / "out").read_text(), (self.folder / "err").read_text()


class Forker:
    """The booted parent for workers with `env`; `start` forks one. Use as a context
    manager: the parent stops (after its children) at the end of the block."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self._count = 0
        self._folder = Path(tempfile.mkdtemp(prefix="saldo-forks-"))

    def __enter__(self):
        self._parent = subprocess.Popen(
            [sys.executable, "-c", PARENT],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = self._parent.stdout.readline()
        if ready.strip() != "ready":
            self._parent.kill()
            raise RuntimeError(f"the workers' parent did not boot: {ready!r}")
        return self

    def start(self, argv: list[str], script: str | None = None) -> Forked:
        """Fork a worker running `flask` with `argv` (`argv[0]` is the program name), or
        with `script`, `python -c script` with `argv[1:]` as its arguments."""
        self._count += 1
        folder = self._folder / str(self._count)
        folder.mkdir()
        request = {"argv": argv, "script": script, "folder": str(folder)}
        self._parent.stdin.write(json.dumps(request) + "\n")
        self._parent.stdin.flush()
        return Forked(folder, self._parent)

    def __exit__(self, *exc):
        self._parent.stdin.close()
        try:
            self._parent.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._parent.kill()
            self._parent.wait()
        self._parent.stdout.close()
        shutil.rmtree(self._folder, ignore_errors=True)
