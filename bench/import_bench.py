"""CSV import benchmark: `python bench/import_bench.py` from the project root, in the virtualenv.

Generates a CSV export (default 10,000 rows), imports it into a fresh SQLite database and, when
DATABASE_URL points at PostgreSQL, into a scratch database created on that server and dropped
afterwards. Prints seconds and rows per second for reading, validating (the dry run) and
committing (which validates again, writes everything and commits). See bench/README.md.
"""

import argparse
import logging
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import ImportJob, Patient, Practice, StaffUser  # noqa: E402
from portal.services.billing import imports  # noqa: E402
from portal.services.billing.imports import background  # noqa: E402
from portal.services.core import outbox  # noqa: E402
from portal.services.core.audit import SYSTEM  # noqa: E402

HEADER = (
    "First name,Last name,Date of birth,Email,Invoice number,Issue date,Due date,"
    "Service date,Code,Description,Charged,Insurance paid,Adjustment"
)


def generate(rows: int, patients: int, seed: int) -> bytes:
    """`rows` CSV rows: invoices of 1-4 lines for `patients` people, ISO dates, 2 decimals."""
    rnd = random.Random(seed)
    lines, invoice = [HEADER], 0
    while len(lines) <= rows:
        invoice += 1
        person = rnd.randrange(patients)
        born = f"{1940 + person % 70}-{1 + person % 12:02d}-{1 + person % 28:02d}"
        for _ in range(min(rnd.randint(1, 4), rows + 1 - len(lines))):
            charged = rnd.randint(2000, 150000)
            insurance = rnd.choice((0, 0, charged // 2))
            lines.append(
                f"Name{person},Surname{person},{born},p{person}@example.org,INV-{invoice:06d},"
                f"2026-03-01,2026-03-31,2026-02-{1 + invoice % 28:02d},D{rnd.randint(1000, 9999)},"
                f"Treatment,{charged / 100:.2f},{insurance / 100:.2f},0.00"
            )
    return "\n".join(lines).encode()


def timed(action: Callable):
    """(what `action` returned, (wall seconds, CPU seconds of this process))."""
    start, cpu = time.perf_counter(), time.process_time()
    value = action()
    return value, (time.perf_counter() - start, time.process_time() - cpu)


def run(database_url: str, data: bytes, existing: int) -> list[tuple[str, tuple]]:
    """Import `data` into a fresh practice of an empty database; returns (phase, (wall
    seconds, CPU seconds))."""
    config = {"SALDO_ENV": "test", "SQLALCHEMY_DATABASE_URI": database_url}
    if not database_url.startswith("sqlite"):  # the settings' defaults are SQLite's
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    app = create_app(config)
    with app.app_context():
        upgrade()
        practice = Practice(
            slug="bench", name="Bench", country="IT", currency="EUR", default_locale="it"
        )
        db.session.add(practice)
        db.session.flush()
        for person in range(existing):  # some patients are already known, to be matched
            born = f"{1940 + person % 70}-{1 + person % 12:02d}-{1 + person % 28:02d}"
            db.session.add(
                Patient(
                    practice_id=practice.id,
                    first_name=f"Name{person}",
                    last_name=f"Surname{person}",
                    date_of_birth=date.fromisoformat(born),
                )
            )
        db.session.commit()
        csv_file, read_s = timed(lambda: imports.read_csv(data))
        mapping = imports.guess_mapping(csv_file.headers)
        checked, validate_s = timed(lambda: imports.validate(practice, csv_file, mapping))
        assert checked.ok, [str(e) for e in checked.errors[:5]]

        def commit():
            # "Import" after "Check" in the same process: the checked plan is used again
            result = imports.commit(practice, csv_file, mapping, actor=SYSTEM, checked=checked)
            db.session.commit()
            return result

        result, commit_s = timed(commit)
        assert result.imported and result.lines == len(csv_file.rows)
        print(
            f"  {len(result.invoices):,} invoices, {result.lines:,} lines, "
            f"{result.new_patients:,} new and {result.matched_patients:,} matched patients",
            flush=True,
        )
        worker_s = worker(data, mapping, len(csv_file.rows), len(result.invoices))
        db.session.remove()
        db.engine.dispose()
    return [
        ("read", read_s),
        ("validate", validate_s),
        ("commit", commit_s),
        ("worker", worker_s),
    ]


def worker(data: bytes, mapping: dict, rows: int, invoices: int) -> tuple:
    """The same file as a background import of a second practice, as the staff page queues a
    large file: stored in the database, then checked and committed by one pending-work run
    (read, validate with its progress saved, write). Returns its seconds."""
    practice = Practice(slug="bench2", name="Bench 2", country="IT", currency="EUR")
    db.session.add(practice)
    db.session.flush()
    user = StaffUser(
        practice_id=practice.id,
        email="bench@example.org",
        name="Bench",
        password_hash="-",  # noqa: S106 (nobody signs in)
        role="billing",
    )
    db.session.add(user)
    db.session.flush()
    job = background.store_upload(practice.id, user.id, "bench.csv", data)
    background.start(job, mapping, date_format="iso", draft=False, locale="en", rows=rows)
    db.session.commit()
    job_id = job.id
    done, seconds = timed(outbox.run_pending)
    job = db.session.get(ImportJob, job_id)
    assert (done, job.status, job.invoices_created) == (1, "done", invoices), job.errors[:5]
    return seconds


def scratch_postgres(url: str):
    """Create an empty database next to the one in `url`; returns (its URL, a drop function)."""
    base = make_url(url)
    name = f"saldo_import_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def report(name: str, rows: int, phases: list[tuple[str, tuple]]) -> None:
    total = tuple(sum(t[i] for phase, t in phases if phase != "worker") for i in (0, 1))
    for phase, (seconds, cpu) in [*phases, ("total", total)]:
        print(f"{name:<11}{phase:<13}{seconds:>9.2f}{cpu:>9.2f}{rows / seconds:>12,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--patients", type=int, default=1_500, help="distinct patients")
    parser.add_argument("--existing", type=int, default=200, help="patients already in Saldo")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--throwaway-postgres",
        action="store_true",
        help="start a PostgreSQL cluster for the run (as the tests do) instead of DATABASE_URL",
    )
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the migrations' progress lines
    data = generate(args.rows, args.patients, args.seed)
    print(
        f"Saldo CSV import benchmark: {args.rows:,} rows ({len(data) / 1e6:.1f} MB), "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLAlchemy {version('sqlalchemy')}, load average {os.getloadavg()[0]:.2f}"
    )
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="saldo-import-bench-") as tmp:
        print("sqlite (fresh file):", flush=True)
        results.append(("sqlite", run(f"sqlite:///{tmp}/bench.sqlite3", data, args.existing)))
    if args.throwaway_postgres:
        from tests.support.servers import postgres

        server = postgres()
    else:
        database_url = os.environ.get("DATABASE_URL", "")
        server = nullcontext(database_url if database_url.startswith("postgresql") else None)
    with server as database_url:
        if database_url:
            url, drop = scratch_postgres(database_url)
            try:
                print("postgresql (scratch database, dropped afterwards):", flush=True)
                results.append(("postgresql", run(url, data, args.existing)))
            finally:
                drop()
        else:
            print("postgresql: skipped (DATABASE_URL does not point at PostgreSQL)")
    print(f"\n{'database':<11}{'phase':<13}{'seconds':>9}{'CPU s':>9}{'rows/s':>12}")
    for name, phases in results:
        report(name, args.rows, phases)
    print(
        "\nread = decoding and splitting the file with the csv module, the floor of any import;"
        "\nCPU s = this process's CPU time (the database server's is not counted on PostgreSQL);"
        '\nvalidate = the dry run ("Check"); commit = with the checked plan, look again at'
        "\nnumbers and patients, create the patients and the issued invoices, COMMIT"
        '\n("Import"); total = read + validate + commit;'
        "\nworker = the same file as a background import (a large file from the staff page):"
        "\nread from the database, validated with its progress saved, written, committed"
    )
    print(
        f"load average at the end {os.getloadavg()[0]:.2f}, "
        f"{time.perf_counter() - started:.0f} s in all"
    )


if __name__ == "__main__":
    main()
