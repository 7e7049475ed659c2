"""Jobs and staff pages at scale: `python bench/jobs_bench.py [--sizes 1000,100000]`.

For each size, a fresh SQLite file gets one practice with that many open invoices (one
ledger charge each, two invoices per patient). 99% are mid-cadence with their next step days
away (`collection_state.next_action_on`); 1% reach a call step today. Then, timed in the same
process: `jobs run-due` for the day (cadence, alerts, installments) with its SQL statement
count, the same run again (nothing new to do), the staff invoice list (first page, a deep
keyset page, a search, a filter) and the reports page. The smallest size is the baseline:
what grows with the number of invoices and what grows with the number due.
"""

import argparse
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    CollectionState,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Patient,
    Practice,
)
from portal.services.collections import period_report, worklist  # noqa: E402
from portal.services.core import jobs  # noqa: E402

TODAY = date(2026, 12, 1)
CHUNK = 5000


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[start : start + CHUNK])


def seed(size: int) -> tuple[Practice, int]:
    """`size` open invoices; returns the practice and how many have a step due today."""
    practice = Practice(
        slug="bench", name="Bench", country="IT", currency="EUR", timezone="Europe/Rome"
    )
    db.session.add(practice)
    db.session.flush()
    now = datetime(2026, 11, 1, 9, 0)
    people = max(size // 2, 1)
    _insert(
        Patient,
        [
            dict(
                id=n + 1,
                practice_id=practice.id,
                first_name=f"Name{n}",
                last_name=f"Surname{n}",
                date_of_birth=date(1950 + n % 50, 1 + n % 12, 1 + n % 28),
                phone=f"+39333{n:07d}",
                locale="it",
                email_consent=False,
                sms_consent=False,
                created_at=now,
            )
            for n in range(people)
        ],
    )
    due_every = 100
    invoices, lines, charges, states = [], [], [], []
    for n in range(size):
        invoice_id = n + 1
        due_today = n % due_every == 0
        due_on = TODAY - timedelta(days=14 if due_today else 10)
        invoices.append(
            dict(
                id=invoice_id,
                practice_id=practice.id,
                patient_id=1 + n % people,
                number=f"B-{invoice_id:07d}",
                currency="EUR",
                issued_on=due_on - timedelta(days=30),
                due_on=due_on,
                status="open",
                created_at=now,
            )
        )
        lines.append(
            dict(
                invoice_id=invoice_id,
                position=1,
                service_date=due_on - timedelta(days=31),
                description="Visita",
                charged_minor=10000 + n % 5000,
                insurance_paid_minor=0,
                adjustment_minor=0,
                patient_share_minor=10000 + n % 5000,
            )
        )
        charges.append(
            dict(
                practice_id=practice.id,
                invoice_id=invoice_id,
                kind="charge",
                amount_minor=10000 + n % 5000,
                currency="EUR",
                created_at=now,
            )
        )
        if not due_today:  # the first call went out; the next is in four days
            states.append(
                dict(
                    invoice_id=invoice_id,
                    last_position=2,
                    next_action_on=TODAY + timedelta(days=4),
                    updated_at=now,
                )
            )
    for model, rows in (
        (Invoice, invoices),
        (InvoiceLine, lines),
        (LedgerEntry, charges),
        (CollectionState, states),
    ):
        _insert(model, rows)
    db.session.commit()
    return practice, len(range(0, size, due_every))


@contextmanager
def counted(engine):
    seen = [0]

    def count(*_args):
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def timed(action, repeat: int = 1) -> tuple[object, float]:
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = action()
        best = min(best, time.perf_counter() - start)
    return value, best


def measure(size: int, tmp: Path) -> list[tuple[str, str, float]]:
    url = f"sqlite:///{tmp}/jobs-{size}.sqlite3"
    app = create_app({"SALDO_ENV": "test", "SQLALCHEMY_DATABASE_URI": url})
    rows: list[tuple[str, str, float]] = []
    with app.app_context():
        upgrade()
        (practice, due), seed_s = timed(lambda: seed(size))
        print(f"  {size:,} invoices seeded in {seed_s:.1f} s, {due:,} with a step due", flush=True)
        for label in ("run-due (first run of the day)", "run-due again (nothing new)"):
            with counted(db.engine) as statements:
                report, seconds = timed(lambda: jobs.run_due(TODAY, clock_time(10, 0)))
            rows.append((label, f"{report.call_tasks} call tasks, {statements[0]} SQL", seconds))
        practice = db.session.get(Practice, practice.id)
        page = worklist.invoices(practice.id, today=TODAY)
        middle = f"{(TODAY - timedelta(days=40)).isoformat()}.{size // 2}"
        cases = [
            ("staff list: first page", dict()),
            ("staff list: a page half-way (keyset)", dict(after=middle)),
            ("staff list: search 'Surname1234'", dict(text="Surname1234")),
            ("staff list: open, 1-30 days past due", dict(status="open", age="1-30")),
        ]
        for label, filters in cases:
            page, seconds = timed(
                lambda f=filters: worklist.invoices(practice.id, today=TODAY, **f), repeat=3
            )
            rows.append((label, f"{len(page.rows)} rows", seconds))
        report, seconds = timed(
            lambda: period_report.report(practice, TODAY, 90, patient_limit=100), repeat=2
        )
        rows.append(("reports page (aging, DSO, CEI, steps)", "", seconds))
        db.session.remove()
        db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000", help="comma-separated invoice counts")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"Saldo jobs and staff pages on SQLite, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    results = {}
    with tempfile.TemporaryDirectory(prefix="saldo-jobs-bench-") as name:
        for size in sizes:
            results[size] = measure(size, Path(name))
    header = "".join(f"{f'{s:,} inv. s':>16}" for s in sizes)
    print(f"\n{'':40}{header}   detail at {sizes[-1]:,}")
    for index, (label, _detail, _seconds) in enumerate(results[sizes[0]]):
        cells = "".join(f"{results[s][index][2]:16.3f}" for s in sizes)
        print(f"{label:40}{cells}   {results[sizes[-1]][index][1]}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
