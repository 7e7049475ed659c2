"""Staff pages at scale: `python bench/staff_bench.py [--sizes 1000,100000,1000000]`.

For each size, the data set of `bench/jobs_bench.py` (one practice, that many open invoices,
two per patient, one ledger charge each) plus one open alert per 100 invoices, on a fresh
SQLite file and, with `--throwaway-postgres` or a PostgreSQL DATABASE_URL, a scratch
PostgreSQL database. Then, in the same process, each best of three with its SQL statement
count: the staff invoice list (first page, a keyset page half-way, the last page, a search by
surname and by invoice number, each status and age filter, a minimum balance), the alerts page
(count and the first and a middle page) and the reports page (aging with the 100 largest
patients, DSO, CEI, payments by reminder step). The smallest size is the baseline.
"""

import argparse
import os
import sys
import tempfile
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from flask_migrate import upgrade  # noqa: E402
from jobs_bench import TODAY, counted, scratch_postgres, seed, timed  # noqa: E402
from sqlalchemy import text  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Practice  # noqa: E402
from portal.services.collections import alert_queue, period_report, worklist  # noqa: E402

_ALERTS = """INSERT INTO alert (practice_id, invoice_id, kind, raised_on, data)
    SELECT practice_id, id,
        CASE id % 3 WHEN 0 THEN 'failed_charge' WHEN 1 THEN 'link_not_opened'
            ELSE 'short_payment' END,
        :raised, '{}'
    FROM invoice WHERE practice_id = :practice AND id % 100 = 7"""


def cases(size: int) -> list[tuple[str, dict]]:
    middle = f"{(TODAY - timedelta(days=40)).isoformat()}.{size // 2}"
    last = f"{(TODAY - timedelta(days=44)).isoformat()}.{min(size, 60)}"
    result = [
        ("list: first page", {}),
        ("list: a page half-way (keyset)", dict(after=middle)),
        ("list: the last pages (keyset)", dict(after=last)),
        ("list: search 'Surname1234'", dict(text="Surname1234")),
        (f"list: search 'B-{size // 2}'", dict(text=f"B-{size // 2}")),
        ("list: search, no match", dict(text="Nobody")),
    ]
    result += [(f"list: status {s}", dict(status=s)) for s in ("open", "paid", "void", "draft")]
    result += [(f"list: age {age}", dict(age=age)) for age in worklist.AGES]
    result.append(("list: balance at least 109.00", dict(min_balance_minor=10900)))
    return result


def measure(size: int, url: str) -> list[tuple[str, str, float]]:
    config = {"SALDO_ENV": "test", "SQLALCHEMY_DATABASE_URI": url}
    if not url.startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    app = create_app(config)
    rows: list[tuple[str, str, float]] = []
    with app.app_context():
        upgrade()
        (practice, _due), seed_s = timed(lambda: seed(size))
        db.session.execute(text(_ALERTS), dict(practice=practice.id, raised=TODAY))
        db.session.commit()
        if db.session.get_bind().dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        print(f"  {size:,} invoices seeded in {seed_s:.1f} s", flush=True)
        practice_id = practice.id

        def run(label, action, detail):
            with counted(db.engine) as statements:
                value, seconds = timed(action, repeat=3)
            rows.append((label, f"{detail(value)}, {statements[0] // 3} SQL", seconds))
            print(f"    {label:40}{seconds:8.3f}   {rows[-1][1]}", flush=True)

        for label, filters in cases(size):
            run(
                label,
                lambda f=filters: worklist.invoices(practice_id, today=TODAY, **f),
                lambda page: f"{len(page.rows)} rows",
            )
        alerts = alert_queue.count_open(practice_id)
        pages = max(1, -(-alerts // alert_queue.PER_PAGE))
        for label, page in (("alerts: first page", 1), ("alerts: a page half-way", pages // 2)):
            run(
                label,
                lambda p=page: (
                    alert_queue.count_open(practice_id),
                    alert_queue.queue(practice_id, TODAY, page=max(p, 1)),
                ),
                lambda value: f"{len(value[1])} of {value[0]:,} alerts",
            )
        practice = db.session.get(Practice, practice_id)
        run(
            "reports page (aging, DSO, CEI, steps)",
            lambda: period_report.report(practice, TODAY, 90, patient_limit=100),
            lambda report: f"{report.aging.patient_count:,} patients",
        )
        db.session.remove()
        db.engine.dispose()
    return rows


def table(title: str, sizes: list[int], results: dict) -> None:
    header = "".join(f"{f'{s:,} inv. s':>16}" for s in sizes)
    print(f"\n{title:40}{header}   detail at {sizes[-1]:,}")
    for index, (label, _detail, _seconds) in enumerate(results[sizes[0]]):
        cells = "".join(f"{results[s][index][2]:16.3f}" for s in sizes)
        print(f"{label:40}{cells}   {results[sizes[-1]][index][1]}")
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000", help="comma-separated invoice counts")
    parser.add_argument("--sqlite-sizes", help="SQLite's sizes, when not --sizes")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--throwaway-postgres",
        action="store_true",
        help="start a PostgreSQL cluster for the run (as the tests do) instead of DATABASE_URL",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    sqlite_sizes = [int(s) for s in (args.sqlite_sizes or args.sizes).split(",")]
    print(
        f"Saldo staff pages, {os.cpu_count()} CPUs (shared), load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    if not args.no_sqlite:
        results = {}
        with tempfile.TemporaryDirectory(prefix="saldo-staff-bench-") as name:
            for size in sqlite_sizes:
                print(f"sqlite, {size:,} invoices:", flush=True)
                results[size] = measure(size, f"sqlite:///{name}/staff-{size}.sqlite3")
        table("sqlite", sqlite_sizes, results)
    if args.throwaway_postgres:
        from tests.support.servers import postgres

        server = postgres()
    else:
        database_url = os.environ.get("DATABASE_URL", "")
        server = nullcontext(database_url if database_url.startswith("postgresql") else None)
    with server as database_url:
        if database_url:
            results = {}
            for size in sizes:
                url, drop = scratch_postgres(database_url)
                try:
                    print(f"postgresql, {size:,} invoices:", flush=True)
                    results[size] = measure(size, url)
                finally:
                    drop()
            table("postgresql", sizes, results)


if __name__ == "__main__":
    main()
