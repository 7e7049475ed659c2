"""Aging report benchmark: `python bench/report_bench.py` from the project root, in the virtualenv.

Generates a practice with a million invoices (patients, invoices, their ledger entries in time
order and reminder logs), bulk-loads it into a fresh SQLite file (executemany) and, when
DATABASE_URL points at PostgreSQL or with --throwaway-postgres, into a scratch PostgreSQL
database (COPY), then times the reports of portal/services/collections/aging_report.py and
period_report.py as of one day: rows and seconds, on the schema as migrated and again after
adding each proposed index. See bench/README.md.
"""

import argparse
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import kept  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Practice  # noqa: E402
from portal.services.collections import aging_report, period_report  # noqa: E402

#: the indexes this benchmark suggests for the reports, added one after the other:
#: (name, table, columns, what it serves)
PROPOSED = [
    (
        "ix_ledger_entry_practice_invoice_created",
        "ledger_entry",
        ("practice_id", "invoice_id", "created_at", "amount_minor"),
        "aging: every invoice's balance from the index alone",
    ),
    (
        "ix_ledger_entry_practice_kind_created",
        "ledger_entry",
        ("practice_id", "kind", "created_at"),
        "a period's charges, payments and refunds; payments by reminder step",
    ),
]

TIMES = [f"{h:02d}:{m:02d}:00.000000" for h in range(24) for m in range(60)]


@dataclass
class Data:
    patients: list[tuple] = field(default_factory=list)
    invoices: list[tuple] = field(default_factory=list)
    ledger: list[tuple] = field(default_factory=list)
    reminders: list[tuple] = field(default_factory=list)


def generate(invoices: int, patients: int, as_of: date, seed: int) -> Data:
    """Three years of invoices of one practice up to a little after `as_of`; "now" is 30 days
    after `as_of`, so some payments, write-offs and reminders come after the report's day.

    Per invoice: 83% paid in full (2% of those then refunded in part or in full as a price
    correction), 8% partly paid (half of those written off later), 1% voided, the rest unpaid;
    reminders (email, sms, call, letter at 3, 10, 20 and 45 days past due) until the payment
    or "now"."""
    rnd = random.Random(seed)
    now = as_of + timedelta(days=30)
    first = as_of - timedelta(days=3 * 365)
    span = (as_of + timedelta(days=10) - first).days
    days = {}

    def day(offset: int) -> str:
        if offset not in days:
            days[offset] = (first + timedelta(days=offset)).isoformat()
        return days[offset]

    def stamp(offset: int) -> str:
        return f"{day(offset)} {TIMES[rnd.randrange(7 * 60, 20 * 60)]}"

    limit = (now - first).days
    data = Data()
    for pid in range(1, patients + 1):
        born = date(1940 + pid % 70, 1 + pid % 12, 1 + pid % 28).isoformat()
        data.patients.append(
            (
                pid,
                1,
                f"Name{pid}",
                f"Surname{pid}",
                born,
                f"p{pid}@example.org",
                "it",
                True,
                False,
                f"{day(0)} 08:00:00.000000",
            )
        )
    issued = sorted(rnd.randrange(span) for _ in range(invoices))
    steps = (
        (1, "email", 3, "sent"),
        (2, "sms", 10, "sent"),
        (3, "call", 20, "task"),
        (4, "letter", 45, "letter"),
    )
    for iid, issue in enumerate(issued, start=1):
        due = issue + 30
        amount = rnd.randint(2000, 150000)
        charged = stamp(issue)
        entries = [(charged, "charge", amount)]
        status, paid_at, voided_at, paid_day = "open", None, None, None
        roll = rnd.random()
        if roll < 0.83:
            paid_day = due + round(rnd.triangular(-28, 75, -7))
            entries.append((stamp(paid_day), "payment", -amount))
            if rnd.random() < 0.02:
                back, when = amount // rnd.choice((10, 2, 1)), stamp(paid_day + 5)
                entries += [(when, "refund", back), (when, "adjustment", -back)]
        elif roll < 0.91:
            paid_day = due + rnd.randint(0, 60)
            part = amount * rnd.randint(30, 70) // 100
            entries.append((stamp(paid_day), "payment", -part))
            if rnd.random() < 0.5:
                entries.append((stamp(due + 180), "write_off", part - amount))
            paid_day = None
        elif roll < 0.92:
            entries.append((stamp(issue + 5), "adjustment", -amount))
            status, voided_at = "void", entries[-1][0]
        entries = [e for e in entries if (date.fromisoformat(e[0][:10]) - first).days <= limit]
        if voided_at and len(entries) < 2:
            status, voided_at = "open", None
        if sum(e[2] for e in entries) == 0 and status != "void":
            status, paid_at = "paid", max(e[0] for e in entries)
        for position, channel, after, how in steps:
            sent = due + after
            if sent > limit or (paid_day is not None and sent >= paid_day) or voided_at:
                break
            data.reminders.append(
                (
                    len(data.reminders) + 1,
                    1,
                    iid,
                    position,
                    channel,
                    day(sent),
                    how,
                    f"{day(sent)} 09:00:00.000000",
                )
            )
        data.invoices.append(
            (
                iid,
                1,
                rnd.randrange(1, patients + 1),
                f"B{iid:07d}",
                "EUR",
                day(issue),
                day(due),
                status,
                charged,
                paid_at,
                voided_at,
            )
        )
        for created, kind, signed in entries:
            data.ledger.append((created, iid, kind, signed))
    data.ledger.sort()
    data.ledger = [
        (n, 1, iid, kind, signed, "EUR", created)
        for n, (created, iid, kind, signed) in enumerate(data.ledger, start=1)
    ]
    return data


COLUMNS = {
    "patient": "id, practice_id, first_name, last_name, date_of_birth, email, locale, "
    "email_consent, sms_consent, created_at",
    "invoice": "id, practice_id, patient_id, number, currency, issued_on, due_on, status, "
    "created_at, paid_at, voided_at",
    "ledger_entry": "id, practice_id, invoice_id, kind, amount_minor, currency, created_at",
    "reminder_log": "id, practice_id, invoice_id, position, channel, sent_on, status, created_at",
}


def _tables(data: Data):
    return [
        ("patient", data.patients),
        ("invoice", data.invoices),
        ("ledger_entry", data.ledger),
        ("reminder_log", data.reminders),
    ]


def _practice() -> None:
    db.session.add(
        Practice(
            id=1,
            slug="bench",
            name="Bench",
            country="IT",
            currency="EUR",
            default_locale="it",
            timezone="Europe/Rome",
        )
    )
    db.session.commit()


def load_sqlite(data: Data) -> None:
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA journal_mode=OFF")
        cur.execute("PRAGMA synchronous=OFF")
        for table, rows in _tables(data):
            names = COLUMNS[table]
            marks = ", ".join("?" * len(names.split(",")))
            cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
        raw.commit()
        cur.execute("PRAGMA journal_mode=DELETE").fetchall()
        raw.commit()
        cur.close()
    finally:
        raw.close()
    keep_totals()


def _tsv(rows: list[tuple]) -> Iterator[str]:
    chunk = []
    for row in rows:
        chunk.append(
            "\t".join(
                "\\N" if v is None else ("t" if v is True else "f" if v is False else str(v))
                for v in row
            )
        )
        if len(chunk) == 50_000:
            yield "\n".join(chunk) + "\n"
            chunk = []
    if chunk:
        yield "\n".join(chunk) + "\n"


def keep_totals() -> None:
    """The totals the database keeps (balances, migration 0024; report totals, 0028) from the
    loaded ledger: a load with the triggers off, as `session_replication_role = replica` has
    it, leaves them empty."""
    with db.engine.begin() as conn:
        kept.rebuild(conn)


def load_postgres(data: Data) -> None:
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        try:  # skip the per-row foreign key triggers while loading (needs a superuser)
            cur.execute("SET session_replication_role = replica")
        except Exception:
            raw.rollback()
        for table, rows in _tables(data):
            with cur.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                for block in _tsv(rows):
                    copy.write(block)
        raw.commit()
    finally:
        raw.close()
    keep_totals()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def add_index(name: str, table: str, columns: tuple[str, ...]) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})"))
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"VACUUM ANALYZE {table}"))


def timed(action: Callable):
    start = time.perf_counter()
    value = action()
    return value, time.perf_counter() - start


def measure(as_of: date, repeat: int) -> list[tuple[str, int, list[float]]]:
    practice = db.session.get(Practice, 1)
    cases = [
        ("aging buckets (CLI)", lambda: aging_report.aging_buckets(practice, as_of), lambda r: 6),
        (
            "aging + 100 largest patients (page)",
            lambda: aging_report.aging(practice, as_of, patient_limit=100),
            lambda r: 6 + len(r.patients),
        ),
        (
            "aging + all patient rows (CSV)",
            lambda: aging_report.aging(practice, as_of),
            lambda r: 6 + len(r.patients),
        ),
        (
            "staff page: aging + 100 rows, DSO/CEI, steps",
            lambda: period_report.report(practice, as_of, patient_limit=100),
            lambda r: 6 + len(r.aging.patients) + len(r.steps),
        ),
    ]
    results = []
    for name, action, count in cases:
        seconds = []
        for _ in range(repeat):
            value, spent = timed(action)
            db.session.rollback()
            seconds.append(spent)
        results.append((name, count(value), seconds))
        if name.startswith("aging + all"):
            print(
                f"    as of {as_of}: open {value.total_minor / 100:,.2f} EUR in "
                f"{value.invoices:,} invoices of {value.patient_count:,} patients; "
                + ", ".join(f"{b.key} {b.amount_minor / 100:,.0f}" for b in value.buckets),
                flush=True,
            )
    return results


def run(name: str, url: str, data: Data, as_of: date, repeat: int, loader) -> list:
    app = create_app({"SALDO_ENV": "test", "SQLALCHEMY_DATABASE_URI": url})
    results = []
    with app.app_context():
        upgrade()
        _practice()
        _, load_s = timed(lambda: loader(data))
        rows = len(data.patients) + len(data.invoices) + len(data.ledger) + len(data.reminders)
        print(f"  {name}: loaded {rows:,} rows in {load_s:.1f} s", flush=True)
        results.append((name, "as migrated", measure(as_of, repeat)))
        for number, (index, table, columns, _why) in enumerate(PROPOSED, start=1):
            _, index_s = timed(lambda: add_index(index, table, columns))  # noqa: B023
            print(f"  {name}: index {number} built in {index_s:.1f} s", flush=True)
            schema = "+ index 1" if number == 1 else f"+ indexes 1-{number}"
            results.append((name, schema, measure(as_of, repeat)))
        db.session.remove()
        db.engine.dispose()
    return results


@contextmanager
def scratch_postgres(url: str):
    """An empty database next to the one in `url`, dropped afterwards."""
    base = make_url(url)
    name = f"saldo_report_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, default=200_000)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 30))
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each report")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--throwaway-postgres",
        action="store_true",
        help="start a PostgreSQL cluster for the run (as the tests do) instead of DATABASE_URL",
    )
    args = parser.parse_args()
    print(
        f"Saldo aging report benchmark: {args.invoices:,} invoices, {args.patients:,} patients, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLAlchemy {version('sqlalchemy')}, load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    data, gen_s = timed(lambda: generate(args.invoices, args.patients, args.as_of, args.seed))
    print(
        f"generated in {gen_s:.1f} s: {len(data.invoices):,} invoices, {len(data.ledger):,} "
        f"ledger entries, {len(data.reminders):,} reminder logs",
        flush=True,
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="saldo-report-bench-") as tmp:
        print("sqlite (fresh file):", flush=True)
        results += run(
            "sqlite", f"sqlite:///{tmp}/bench.sqlite3", data, args.as_of, args.repeat, load_sqlite
        )
    if args.throwaway_postgres:
        from tests.support.servers import postgres

        server = postgres()
    else:
        database_url = os.environ.get("DATABASE_URL", "")
        server = nullcontext(database_url if database_url.startswith("postgresql") else None)
    with server as url:
        if url:
            with scratch_postgres(url) as scratch:
                print("postgresql (scratch database, dropped afterwards):", flush=True)
                results += run("postgresql", scratch, data, args.as_of, args.repeat, load_postgres)
        else:
            print("postgresql: skipped (DATABASE_URL does not point at PostgreSQL)")
    print(f"\n{'database':<11}{'schema':<15}{'report':<46}{'rows':>8}{'best s':>8}{'runs s':>22}")
    for name, schema, cases in results:
        for case, rows, seconds in cases:
            runs = " ".join(f"{s:.2f}" for s in seconds)
            print(f"{name:<11}{schema:<15}{case:<46}{rows:>8,}{min(seconds):>8.2f}{runs:>22}")
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    for number, (_name, table, columns, why) in enumerate(PROPOSED, start=1):
        print(f"index {number}: {table} ({', '.join(columns)}): {why}")


if __name__ == "__main__":
    main()
