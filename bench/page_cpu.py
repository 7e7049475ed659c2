"""CPU per request of the patient pages, in-process: `python bench/page_cpu.py`.

The Flask test client, SQLite in a temp dir, `time.process_time()` over `--requests` requests
after a warm-up: the bill rendered (its first look: no kept page), the bill kept, the checkout
and the verify page, each next to the floor of this stack (`GET /bench/floor`) in the same run.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from bench.floor_app import create  # noqa: E402
from tests.web import bill_scenarios  # noqa: E402
from tests.web.patient_client import open_and_verify  # noqa: E402


def cpu_ms(client, path: str, requests: int) -> float:
    for _ in range(20):
        assert client.get(path).status_code == 200, path
    started = time.process_time()
    for _ in range(requests):
        client.get(path)
    return (time.process_time() - started) * 1000 / requests


def app_for(tmp: str, name: str, kept: bool):
    config = {"SALDO_ENV": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/{name}.sqlite3"}
    app = create(config={**config, "BILL_CACHE_SIZE": 256 if kept else 0})
    with app.app_context():
        upgrade()
        _, token = bill_scenarios.build("incentives", 3, "it")
    verified, fresh = app.test_client(), app.test_client()
    open_and_verify(verified, token)
    fresh.get(f"/p/{token}")
    return verified, fresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    n = parser.parse_args().requests
    with tempfile.TemporaryDirectory(prefix="saldo-cpu-") as tmp:
        rendered, _ = app_for(tmp, "rendered", kept=False)
        verified, fresh = app_for(tmp, "kept", kept=True)
        floor = cpu_ms(verified, "/bench/floor", n)
        rows = [
            ("GET /bench/floor (the floor)", floor),
            ("GET /pay, rendered (first look)", cpu_ms(rendered, "/pay", n)),
            ("GET /pay, kept page", cpu_ms(verified, "/pay", n)),
            ("GET /pay/checkout", cpu_ms(verified, "/pay/checkout", n)),
            ("GET /pay/verify (not yet verified)", cpu_ms(fresh, "/pay/verify", n)),
        ]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"CPU ms per request, in-process (Flask test client, SQLite), load average {load}:")
    for label, ms in rows:
        print(f"  {label:38}{ms:7.2f}  {ms / floor:5.1f}x the floor")


if __name__ == "__main__":
    main()
