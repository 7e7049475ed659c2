"""Separate worker processes against the test database: `flask jobs run-due` and the
hourly task entry point, as an operator and the Huey consumers run them."""

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
    }
    env.update(extra)
    return env


def run_due(env: dict[str, str], day: date) -> subprocess.Popen:
    command = [sys.executable, "-m", "flask", "--app", "portal", "jobs", "run-due"]
    return subprocess.Popen(
        [*command, "--as-of", day.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def hourly(env: dict[str, str], day: date, now: datetime) -> subprocess.Popen:
    """A process calling the Huey task's entry point for `day` in the hour of `now`."""
    code = (
        "import datetime as d; from portal import tasks; "
        f"r = tasks.run_hourly(d.date.fromisoformat('{day}'), "
        f"d.datetime.fromisoformat('{now.isoformat()}')); "
        "print(f\"{r['charged']} charged\" if r else 'skipped')"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def charged(output: str) -> int:
    """How many installments a worker charged, from its report ("… N charged …")."""
    words = output.split()
    return int(words[words.index("charged") - 1]) if "charged" in words else 0


def finish(process: subprocess.Popen, timeout: float = 300) -> str:
    """Wait for a worker; its output, or AssertionError with its errors if it failed."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return out
