"""SQL statements per request, counted in-process: `python bench/statements.py`.

The verified bill (GET /pay) of an invoice with 1 and with 100 prior payments (three of them
refunded), rendered and then kept (the second look), the checkout page (rendered, then kept)
and the verify page (GET /pay/verify, before the date of birth is given), on SQLite, next to
the floor route (`bench/floor_app.py`), which reads nothing.
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench.floor_app import create  # noqa: E402
from portal.extensions import db  # noqa: E402
from tests.web import bill_scenarios  # noqa: E402
from tests.web.patient_client import open_and_verify  # noqa: E402


def count(app, client, path: str) -> int:
    with app.app_context():
        engine = db.engine
    seen = []

    def note(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return len(seen)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="saldo-statements-") as tmp:
        url = f"sqlite:///{tmp}/s.sqlite3"
        app = create(config={"SALDO_ENV": "test", "SQLALCHEMY_DATABASE_URI": url})
        rows = []
        with app.app_context():
            upgrade()
        for payments in (1, 100):
            with app.app_context():
                _, token = bill_scenarios.build("incentives", payments, "it")
            client = app.test_client()
            open_and_verify(client, token)
            rows.append((f"GET /pay, {payments} prior payments", count(app, client, "/pay")))
            rows.append(("  the same bill again (kept page)", count(app, client, "/pay")))
        rows.append(("GET /pay/checkout", count(app, client, "/pay/checkout")))
        rows.append(("  the same checkout again (kept page)", count(app, client, "/pay/checkout")))
        rows.append(("GET /bench/floor (the floor)", count(app, client, "/bench/floor")))
        unverified = app.test_client()
        unverified.get(f"/p/{token}")
        rows.append(("GET /pay/verify (not yet verified)", count(app, unverified, "/pay/verify")))
    print("SQL statements per request (SQLite, in-process):")
    for label, n in rows:
        print(f"  {label:40}{n:4d}")


if __name__ == "__main__":
    main()
