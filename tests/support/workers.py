"""Separate worker processes against the test database: `flask jobs run-due`, as an operator
runs it, and Huey consumers with the runs queued for them (by `run-due --on-workers`, or from
the test process through `ConsumerQueue`)."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from tests.support import forks

ROOT = forks.ROOT
BIN = Path(sys.executable).parent


def env_for(app, stripe_base: str, **extra: str) -> dict[str, str]:
    """The environment of a worker on the app's database, talking to `stripe_base`."""
    env = {
        **os.environ,
        "SALDO_ENV": "development",
        "SECRET_KEY": "worker-test-secret",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "STRIPE_API_BASE": stripe_base,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "OUTBOX_ENABLED": "1",
        "SEAL_KEY_PATH": app.config["SEAL_KEY_PATH"],
        "SEAL_CERT_PATH": app.config["SEAL_CERT_PATH"],
        "REDIS_URL": "",
        # the app's quiet hours (off in tests of other features, which send at whatever hour
        # they run: a worker's messages would otherwise wait for 08:00 at the practice)
        "LINK_QUIET_HOURS": "1" if app.config.get("LINK_QUIET_HOURS", True) else "0",
    }
    env.update(extra)
    return env


#: how a racing script begins: the app from `env`, in an app context
OPENING = """
import os, sys, time
from portal import create_app
from portal.extensions import db
app = create_app()
app.app_context().push()
"""
#: what a racing script runs once it is ready: say so, then wait for the start
AT_THE_START = """
open(sys.argv[1], "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.01)
"""


def racing(env: dict[str, str], setup: str, race: str, folder: Path, *args: str) -> list[str]:
    """Start one Python process per item of `args` with `env`: each runs `setup` (its item is
    `sys.argv[3]`; `app` is made from `env` and its context pushed, `db`, `os`, `sys` and
    `time` are imported), waits at the start line, then runs `race` once every process is
    ready. The processes are forked from one booted parent (`forks.Forker`), as gunicorn
    forks its workers, instead of each starting Python and importing the app.
    Returns the processes' outputs (`finish`), in the order of `args`."""
    go = folder / "go"
    ready = [folder / f"ready-{n}" for n in range(len(args))]
    script = OPENING + setup + AT_THE_START + race
    marks = [(str(mark), str(go), arg) for mark, arg in zip(ready, args, strict=True)]
    with forks.Forker(env) as forker:
        started = [forker.start(["-c", *argv], script) for argv in marks]
        while not all(mark.exists() for mark in ready):
            if any(process.poll() is not None for process in started):
                break  # one failed before the start: `finish` shows its errors
            time.sleep(0.01)
        go.touch()
        return [finish(process) for process in started]


def _python(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _flask(env: dict[str, str], forker, *args: str):
    """`flask --app portal *args` with `env`: its own process, or forked by `forker`."""
    command = ["flask", "--app", "portal", *args]
    if forker is not None:
        return forker.start(command)
    return _python(env, "-m", *command)


def run_due(env: dict[str, str], day: date, forker=None):
    """`flask jobs run-due --as-of day` (forked by `forker`, if given)."""
    return _flask(env, forker, "jobs", "run-due", "--as-of", day.isoformat())


def on_workers(env: dict[str, str], day: date, hour: int | None = None, forker=None):
    """`flask jobs run-due --on-workers` for `day` (as the periodic work of `hour`, if given),
    waiting for the consumer's report (forked by `forker`, if given)."""
    command = ["jobs", "run-due", "--as-of", day.isoformat(), "--on-workers", "--wait", "240"]
    if hour is not None:
        command += ["--hour", str(hour)]
    return _flask(env, forker, *command)


@contextmanager
def consumers(env: dict[str, str], count: int, logs: Path) -> Iterator[list[subprocess.Popen]]:
    """`count` Huey consumers (`huey_consumer portal.tasks.huey`, one thread each) with `env`,
    their output in `logs`; stopped at the end."""
    started = []
    try:
        for n in range(count):
            with (logs / f"consumer-{n}.log").open("wb") as log:
                started.append(
                    subprocess.Popen(
                        [
                            str(BIN / "huey_consumer"),
                            "portal.tasks.huey",
                            "-w",
                            "1",
                            "-k",
                            "thread",
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=log,
                    )
                )
        yield started
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def charged(output: str) -> int:
    """How many installments a worker charged, from its report ("… N charged …")."""
    words = output.split()
    return int(words[words.index("charged") - 1]) if "charged" in words else 0


def finish(process: subprocess.Popen, timeout: float = 300) -> str:
    """Wait for a worker; its output, or AssertionError with its errors if it failed."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return out


class ConsumerQueue:
    """The consumers' queue on their Redis, seen from the test process: it hands them runs
    exactly as `flask jobs run-due --on-workers` does (the same task of `portal.tasks`, under
    the same name), without starting a process for each."""

    def __init__(self, redis_url: str):
        from huey import RedisHuey

        from portal import tasks

        self._huey = RedisHuey("saldo", url=redis_url)
        # registered under the name the consumers know it by: portal.tasks.run_due_on
        self._run_due_on = self._huey.task()(tasks.run_due_on.func)

    def run_due(self, day: date, hour: int | None = None):
        """Queue `run-due --as-of day --on-workers [--hour hour]`; returns its Huey result."""
        from portal.jobs_cli import period_of

        return self._run_due_on(day.isoformat(), period_of(day, hour), "12:00")

    @staticmethod
    def report(result, day: date, hour: int | None = None, wait: float = 240) -> str:
        """What `run-due --on-workers --wait` prints for `result` (in an app context)."""
        from portal.jobs_cli import describe_backlog, period_of, worker_report

        report = result.get(blocking=True, timeout=wait)
        return f"{worker_report(day, period_of(day, hour), report)}\n{describe_backlog()}\n"
