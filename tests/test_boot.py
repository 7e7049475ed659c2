"""A worker's boot: no PDF, seal, QR or Stripe SDK, Alembic or Redis client loaded until used, no password hashed, no
database connection or thread opened, so gunicorn can import the app once before it forks."""

import json
import os
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from portal.extensions import db
from tests.support.servers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HEAVY = (
    "weasyprint",
    "pyhanko",
    "pyhanko_certvalidator",
    "aiohttp",
    "segno",
    "lxml",
    "stripe",
    # migrations and the readiness check's Redis client, only when asked for
    "alembic",
    "flask_migrate",
    "redis",
)

BOOT = """
import json, sys, threading
import argon2
hashed = []
plain_hash = argon2.PasswordHasher.hash
argon2.PasswordHasher.hash = lambda self, *a, **k: hashed.append(1) or plain_hash(self, *a, **k)
from portal import create_app
from portal.extensions import db
app = create_app({"SALDO_ENV": "test", "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context():
    pool = db.engine.pool
    connections = pool.checkedin() + pool.checkedout()
state = dict(
    loaded=[m for m in sys.argv[2:] if m in sys.modules],
    threads=threading.active_count(),
    connections=connections,
    hashes=len(hashed),
)
from portal.gateways import qr
qr.svg("https://example.org/p/x")
state["after_a_qr_code"] = [m for m in sys.argv[2:] if m in sys.modules]
print(json.dumps(state))
"""


def test_create_app_loads_no_heavy_sdk_hashes_nothing_and_connects_to_nothing(tmp_path):
    url = f"sqlite:///{tmp_path}/boot.sqlite3"
    run = subprocess.run(
        [sys.executable, "-c", BOOT, url, *HEAVY], capture_output=True, text=True, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    state = json.loads(run.stdout.strip().splitlines()[-1])
    assert state == {
        "loaded": [],
        "threads": 1,
        "connections": 0,
        "hashes": 0,
        "after_a_qr_code": ["segno"],
    }


def test_gunicorn_imports_the_app_once_and_two_workers_serve_the_database(app, tmp_path):
    """`preload_app` is on in config/gunicorn.conf.py: the master imports the app, forks two
    workers, and each opens its own connections (`post_fork`), so concurrent requests that
    read the database all succeed on SQLite and PostgreSQL."""
    port = free_port()
    env = {
        **os.environ,
        "SALDO_ENV": "test",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SALDO_INSTANCE_PATH": str(tmp_path),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESSLOG": "/dev/null",
    }
    db.session.remove()
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.conf.py")]
    with (tmp_path / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen(
            [*command, "--no-control-socket", "portal:create_app()"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
    try:
        wait_for_port(port, timeout=90)

        def ready(_):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=60) as answer:
                return answer.status, json.loads(answer.read())["database"]

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ready, range(40)))
        assert answers == [(200, "ok")] * 40
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)
    log_text = (tmp_path / "gunicorn.log").read_text()
    assert log_text.count("Booting worker with pid") == 2, log_text


def test_the_migration_commands_load_when_asked_for(tmp_path):
    url = f"sqlite:///{tmp_path}/migrations.sqlite3"
    env = {**os.environ, "SALDO_ENV": "development", "DATABASE_URL": url}
    flask = [sys.executable, "-m", "flask", "--app", "portal", "db"]
    upgraded = subprocess.run([*flask, "upgrade"], capture_output=True, text=True, env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "migrations.sqlite3").stat().st_size > 0
    current = subprocess.run([*flask, "current"], capture_output=True, text=True, env=env)
    heads = subprocess.run([*flask, "heads"], capture_output=True, text=True, env=env)
    assert current.returncode == heads.returncode == 0, current.stderr + heads.stderr
    head = heads.stdout.strip().splitlines()[-1]
    assert head.endswith(" (head)")
    assert current.stdout.strip().splitlines()[-1] == head
