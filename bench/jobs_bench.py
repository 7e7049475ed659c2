"""Jobs and staff pages at scale: `python bench/jobs_bench.py [--sizes 1000,100000]`.

For each size, a fresh SQLite file (and, with `--throwaway-postgres` or a PostgreSQL
DATABASE_URL, a scratch PostgreSQL database) gets one practice with that many open invoices (one
ledger charge each, two invoices per patient). 99% are mid-cadence with their next step days
away (`collection_state.next_action_on`); 1% reach a call step today. Then, timed in the same
process: `jobs run-due` for the day (cadence, alerts, installments) with its SQL statement
count and the same run again (nothing new to do); the staff pages are `bench/staff_bench.py`'s,
on the same data. The smallest size is the baseline:
what grows with the number of invoices and what grows with the number due.
"""

import argparse
import logging
import os
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager, nullcontext
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import kept  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Practice  # noqa: E402
from portal.services.core import jobs  # noqa: E402

TODAY = date(2026, 12, 1)
CHUNK = 5000


#: one statement per table, INSERT … SELECT over a series of numbers n = 0 … size-1, so a
#: million invoices are seeded in seconds; the same rows on both databases
_SEED = (
    """INSERT INTO patient (id, practice_id, first_name, last_name, date_of_birth, phone,
        locale, email_consent, sms_consent, created_at)
    SELECT n + 1, :practice, 'Name' || n, 'Surname' || n,
        {birth}, '+39333' || n, 'it', false, false, :now
    FROM {series} WHERE n < :people""",
    """INSERT INTO invoice (id, practice_id, patient_id, number, currency, issued_on, due_on,
        status, cadence_started, created_at)
    SELECT n + 1, :practice, 1 + n % :people, 'B-' || (n + 1), 'EUR',
        CASE WHEN n % :every = 0 THEN :issued_due ELSE :issued_later END,
        CASE WHEN n % :every = 0 THEN :due_today ELSE :due_later END, 'open',
        n % :every <> 0, :now
    FROM {series}""",
    """INSERT INTO invoice_line (invoice_id, position, service_date, description,
        charged_minor, insurance_paid_minor, adjustment_minor, patient_share_minor)
    SELECT n + 1, 1, :served, 'Visita', 10000 + n % 5000, 0, 0, 10000 + n % 5000
    FROM {series}""",
    """INSERT INTO ledger_entry (practice_id, invoice_id, kind, amount_minor, currency,
        created_at)
    SELECT :practice, n + 1, 'charge', 10000 + n % 5000, 'EUR', :now FROM {series}""",
    # the first call went out; the next step is in four days (one in `every` has a step due
    # today, 1% in the benchmark)
    """INSERT INTO collection_state (invoice_id, last_position, next_action_on, updated_at)
    SELECT n + 1, 2, :next_action, :now FROM {series} WHERE n % :every <> 0""",
)


#: the tables `seed` fills; their secondary indexes and insert triggers are set aside meanwhile
_SEEDED = ("patient", "invoice", "invoice_line", "ledger_entry", "collection_state")
#: SQLite's FTS5 tables of the staff search (0014), rebuilt from their tables after the seed
_FTS = ("invoice_search", "patient_search")


def seed(size: int, due_every: int = 100) -> tuple[Practice, int]:
    """`size` open invoices; returns the practice and how many have a step due today (one in
    `due_every`)."""
    practice = Practice(
        slug="bench", name="Bench", country="IT", currency="EUR", timezone="Europe/Rome"
    )
    db.session.add(practice)
    db.session.commit()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        series = "generate_series(0, :size - 1) AS s(n)"
        birth = "make_date(1950 + n % 50, 1 + n % 12, 1 + n % 28)"
    else:
        series = "(WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s "
        series += "WHERE n + 1 < :size) SELECT n FROM s)"
        birth = "printf('%04d-%02d-%02d', 1950 + n % 50, 1 + n % 12, 1 + n % 28)"
    due_today, due_later = TODAY - timedelta(days=14), TODAY - timedelta(days=10)
    values = dict(
        practice=practice.id,
        size=size,
        people=max(size // 2, 1),
        every=due_every,
        now=datetime(2026, 11, 1, 9, 0),
        due_today=due_today,
        due_later=due_later,
        issued_due=due_today - timedelta(days=30),
        issued_later=due_later - timedelta(days=30),
        served=due_later - timedelta(days=31),
        next_action=TODAY + timedelta(days=4),
    )
    with _bulk_load(postgres):
        for statement in _SEED:
            sql = statement.format(series=series, birth=birth)
            db.session.execute(
                text(sql), {k: v for k, v in values.items() if f":{k}" in sql + series}
            )
        if postgres:
            for table in ("patient", "invoice", "ledger_entry"):  # ids given above, as COPY
                db.session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {size + 1})")
                )
    if postgres:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would after a bulk load
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return practice, len(range(0, size, due_every))


@contextmanager
def _bulk_load(postgres: bool):
    """One transaction with the seeded tables' secondary indexes and triggers set aside (on
    PostgreSQL every trigger, foreign keys included, by `session_replication_role`; on SQLite,
    no fsync either), then the kept totals rebuilt from the ledger and the indexes and
    triggers put back."""
    session = db.session
    if postgres:
        constraints = set(session.scalars(text("SELECT conname FROM pg_constraint")))
        saved = [
            (name, sql)
            for table, name, sql in session.execute(
                text("SELECT tablename, indexname, indexdef FROM pg_indexes")
            )
            if table in _SEEDED and name not in constraints
        ]
        superuser = session.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = user"))
        if superuser:
            session.execute(text("SET LOCAL session_replication_role = replica"))
        drops = [f'DROP INDEX "{name}"' for name, _ in saved]
    else:
        session.execute(text("PRAGMA synchronous = OFF"))
        rows = session.execute(text("SELECT tbl_name, name, sql, type FROM sqlite_master"))
        saved = [
            (name, sql, kind)
            for table, name, sql, kind in rows
            if table in _SEEDED and sql and kind in ("index", "trigger")
        ]
        drops = [f'DROP {kind.upper()} "{name}"' for name, _, kind in saved]
    for statement in drops:
        session.execute(text(statement))
    yield
    kept.rebuild(session)  # the triggers that keep them were off
    for row in saved:
        session.execute(text(row[1]))
    if not postgres:
        for fts in _FTS:
            session.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"))  # noqa: S608
    session.commit()
    if not postgres:
        session.execute(text("PRAGMA synchronous = FULL"))


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


def run_due_rows(size: int, practice_id: int, due: int) -> list[tuple[str, str, float]]:
    """`jobs run-due` for the day, then again (nothing new), with their statements."""
    rows = []
    for label in ("run-due (first run of the day)", "run-due again (nothing new)"):
        with counted(db.engine) as statements:
            report, seconds = timed(lambda: jobs.run_due(TODAY, clock_time(10, 0)))
        rows.append((label, f"{report.call_tasks} call tasks, {statements[0]} SQL", seconds))
        print(f"    {label:40}{seconds:8.3f}   {rows[-1][1]}", flush=True)
    first = rows[0][2]
    rows.append(("run-due growth: ms per invoice due", f"{due:,} due", 1000 * first / due))
    return rows


def measure(size: int, url: str, parts) -> list[tuple[str, str, float]]:
    """Seed `size` invoices on the database at `url`, then each of `parts` in turn:
    `part(size, practice_id, due)` returns its (label, detail, seconds) rows."""
    config = {"SALDO_ENV": "test", "SQLALCHEMY_DATABASE_URI": url}
    if not url.startswith("sqlite"):  # the settings' defaults are SQLite's
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    app = create_app(config)
    rows: list[tuple[str, str, float]] = []
    with app.app_context():
        upgrade()
        (practice, due), seed_s = timed(lambda: seed(size))
        print(f"  {size:,} invoices seeded in {seed_s:.1f} s, {due:,} with a step due", flush=True)
        practice_id = practice.id
        for part in parts:
            rows += part(size, practice_id, due)
        db.session.remove()
        db.engine.dispose()
    return rows


def scratch_postgres(url: str):
    """Create an empty database next to the one in `url`; returns (its URL, a drop function)."""
    base = make_url(url)
    name = f"saldo_jobs_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def table(title: str, sizes: list[int], results: dict) -> None:
    header = "".join(f"{f'{s:,} inv. s':>18}" for s in sizes)
    print(f"\n{title:40}{header}   detail at {sizes[-1]:,}")
    for index, (label, _detail, _seconds) in enumerate(results[sizes[0]]):
        cells = "".join(f"{results[s][index][2]:18.3f}" for s in sizes)
        print(f"{label:40}{cells}   {results[sizes[-1]][index][1]}")
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)


def main(parts=(run_due_rows,), title: str = "Saldo jobs", doc: str = __doc__) -> None:
    """Each size on SQLite and/or PostgreSQL, seeded once per database, then `parts`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000", help="comma-separated invoice counts")
    parser.add_argument("--sqlite-sizes", help="SQLite's sizes, when not --sizes")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--throwaway-postgres",
        action="store_true",
        help="start a PostgreSQL cluster for the run (as the tests do) instead of DATABASE_URL",
    )
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the migrations' progress lines, once per size and database
    sizes = [int(s) for s in args.sizes.split(",")]
    sqlite_sizes = [int(s) for s in (args.sqlite_sizes or args.sizes).split(",")]
    print(
        f"{title}, {os.cpu_count()} CPUs (shared), load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    if not args.no_sqlite:
        results = {}
        with tempfile.TemporaryDirectory(prefix="saldo-scale-bench-") as name:
            for size in sqlite_sizes:
                print(f"sqlite, {size:,} invoices:", flush=True)
                results[size] = measure(size, f"sqlite:///{name}/scale-{size}.sqlite3", parts)
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
                    results[size] = measure(size, url, parts)
                finally:
                    drop()
            table("postgresql", sizes, results)


if __name__ == "__main__":
    main()
