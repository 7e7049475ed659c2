"""Stripe webhook CPU per event: `python bench/webhook_bench.py [--events 20]`.

Starts localstripe, makes `--events` 3-D Secure card payments that the patient has
authenticated at Stripe but Saldo has not read yet (as tests/services/payments/test_webhooks.py
does), then posts each one's signed `payment_intent.succeeded` event to `/webhooks/stripe` and
measures this process's CPU time and SQL statements for it (localstripe's own CPU is not
counted). Baselines from the same run: the same events replayed (signature, parsing, the
duplicate found) and a signed event Saldo ignores. The receipt goes through the pending-work
outbox, so the last row is the CPU of the worker run that sends the receipts afterwards.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.services.core import outbox  # noqa: E402
from tests.services.payments.test_webhooks import authenticated_intent, post_event  # noqa: E402
from tests.support import servers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args()
    print(
        f"Saldo webhook CPU, {os.cpu_count()} CPUs (shared), load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory(prefix="saldo-webhook-bench-") as tmp,
        servers.localstripe() as base,
    ):
        app = create_app(
            {
                "SALDO_ENV": "test",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/w.sqlite3",
                "STRIPE_MAX_NETWORK_RETRIES": 0,
                "STRIPE_API_BASE": base,
                "STRIPE_JS_URL": f"{base}/js.stripe.com/v3/",
                "SEAL_KEY_PATH": f"{tmp}/key.pem",
                "SEAL_CERT_PATH": f"{tmp}/cert.pem",
            }
        )
        with app.app_context():
            upgrade()
            events = [authenticated_intent(app)[2] for _ in range(args.events + 1)]
            post_event(app, events[0])  # warm-up: imports, templates, first connection
            outbox.run_pending()
            statements = []
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
            rows = [
                measure("webhook payment_intent.succeeded", events[1:], "handled", statements),
                measure("baseline: the same events replayed", events[1:], "duplicate", statements),
                measure(
                    "baseline: an event Saldo ignores", ignored(args.events), "ignored", statements
                ),
            ]
            start = time.process_time()
            receipts = outbox.run_pending()
            worker_ms = (time.process_time() - start) * 1000 / max(receipts, 1)
            db.session.remove()
    print(f"\n{'':38}{'median':>8}{'max':>8}{'SQL':>6}  (ms of CPU per event)")
    for name, cpu, sql in rows:
        print(f"{name:38}{statistics.median(cpu):8.1f}{max(cpu):8.1f}{sql:6.0f}")
    print(f"{'outbox: receipt email, per receipt':38}{worker_ms:8.1f}{'':14}  ({receipts} sent)")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


def measure(name: str, events: list, expected: str, statements: list) -> tuple:
    """CPU milliseconds of each post and the SQL statements per event."""
    from flask import current_app

    cpu, before = [], len(statements)
    for item in events:
        start = time.process_time()
        response = post_event(current_app, item)
        cpu.append((time.process_time() - start) * 1000)
        assert response.get_json() == {"result": expected}, response.get_data()
    return name, cpu, (len(statements) - before) / len(events)


def ignored(count: int) -> list[dict]:
    return [
        {"id": f"evt_bench_{n}", "type": "customer.created", "data": {"object": {"id": f"cus_{n}"}}}
        for n in range(count)
    ]


if __name__ == "__main__":
    main()
