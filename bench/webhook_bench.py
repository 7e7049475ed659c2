"""Stripe webhook CPU per event: `python bench/webhook_bench.py [--events 20]`.

Starts localstripe, makes `--events` 3-D Secure card payments that the patient has
authenticated at Stripe but Saldo has not read yet (as
tests/services/payments/test_webhooks.py does), then posts each one's signed `payment_intent.succeeded` event to `/webhooks/stripe` and
measures this process's CPU time for it (localstripe's own CPU is not counted). The receipt
goes through the pending-work outbox, so the same table shows the CPU of the worker run that
sends the receipts afterwards, per receipt.
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
            cpu = []
            for event in events[1:]:
                start = time.process_time()
                response = post_event(app, event)
                cpu.append((time.process_time() - start) * 1000)
                assert response.get_json() == {"result": "handled"}, response.get_data()
            start = time.process_time()
            receipts = outbox.run_pending()
            worker_ms = (time.process_time() - start) * 1000 / max(receipts, 1)
            db.session.remove()
    print(f"\n{'':36}{'median':>8}{'max':>8}  (ms of CPU, {len(cpu)} events)")
    print(f"{'webhook payment_intent.succeeded':36}{statistics.median(cpu):8.1f}{max(cpu):8.1f}")
    print(f"{'outbox: receipt email, per receipt':36}{worker_ms:8.1f}{'':8}  ({receipts} sent)")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
