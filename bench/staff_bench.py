"""Staff pages at scale: `python bench/staff_bench.py [--sizes 1000,100000,1000000]`.

For each size, the data set of `bench/jobs_bench.py` (one practice, that many open invoices,
two per patient, one ledger charge each) plus one open alert per 100 invoices, on a fresh
SQLite file and, with `--throwaway-postgres` or a PostgreSQL DATABASE_URL, a scratch
PostgreSQL database. Then, in the same process, each best of three with its SQL statement
count: the staff invoice list (first page, a keyset page half-way, the last page, a search by
a rare surname, by a word in every patient's surname, by first-name prefixes a fifth and 2% of
the patients have (all of them far down the list; the fifth also its second page), by two
words, by invoice number and by a number prefix no patient has, each status and age filter, a
minimum balance), the alerts page (count and the first and a middle page) and the reports page
(aging with the 100 largest patients, DSO, CEI, payments by reminder step). The smallest size
is the baseline.
"""

import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import jobs_bench  # noqa: E402
from jobs_bench import TODAY, counted, timed  # noqa: E402
from sqlalchemy import text  # noqa: E402

from portal.extensions import db  # noqa: E402
from portal.models import Alert, Practice  # noqa: E402
from portal.services.collections import alert_queue, period_report, worklist  # noqa: E402

#: one open alert per 100 invoices, taken away again after the staff pages are timed
_ALERTS = """INSERT INTO alert (practice_id, invoice_id, kind, raised_on, data)
    SELECT practice_id, id,
        CASE id % 3 WHEN 0 THEN 'failed_charge' WHEN 1 THEN 'link_not_opened'
            ELSE 'short_payment' END,
        :raised, '{}'
    FROM invoice WHERE practice_id = :practice AND id % 100 = 7"""


def cases(size: int, practice_id: int) -> list[tuple[str, dict]]:
    middle = f"{(TODAY - timedelta(days=40)).isoformat()}.{size // 2}"
    last = f"{(TODAY - timedelta(days=44)).isoformat()}.{min(size, 60)}"
    name1_next = worklist.invoices(practice_id, text="Name1", today=TODAY).next_after
    result = [
        ("list: first page", {}),
        ("list: a page half-way (keyset)", dict(after=middle)),
        ("list: the last pages (keyset)", dict(after=last)),
        ("list: search 'Surname1234'", dict(text="Surname1234")),
        ("list: search 'Surname' (every patient)", dict(text="Surname")),
        ("list: search 'Name1' (a fifth, older)", dict(text="Name1")),
        ("list: search 'Name1', the next page", dict(text="Name1", after=name1_next)),
        ("list: search 'Name12' (2%, older)", dict(text="Name12")),
        ("list: search 'Surname Name12'", dict(text="Surname Name12")),
        ("list: search 'Name1', status open", dict(text="Name1", status="open")),
        ("list: search 'Name1', status paid", dict(text="Name1", status="paid")),
        ("list: search 'Name1', age 1-30", dict(text="Name1", age="1-30")),
        ("list: search 'Name1', balance >= 109.00", dict(text="Name1", min_balance_minor=10900)),
        (f"list: search 'B-{size // 2}'", dict(text=f"B-{size // 2}")),
        (f"list: search 'B-{size // 20}' (numbers)", dict(text=f"B-{size // 20}")),
        ("list: search, no match", dict(text="Nobody")),
    ]
    result += [(f"list: status {s}", dict(status=s)) for s in ("open", "paid", "void", "draft")]
    result += [(f"list: age {age}", dict(age=age)) for age in worklist.AGES]
    result.append(("list: balance at least 109.00", dict(min_balance_minor=10900)))
    return result


def staff_rows(size: int, practice_id: int, _due: int) -> list[tuple[str, str, float]]:
    """The staff list's cases, the alerts queue and the reports page, each best of three."""
    rows: list[tuple[str, str, float]] = []
    db.session.execute(text(_ALERTS), dict(practice=practice_id, raised=TODAY))
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE alert"))

    def run(label, action, detail):
        with counted(db.engine) as statements:
            value, seconds = timed(action, repeat=3)
        rows.append((label, f"{detail(value)}, {statements[0] // 3} SQL", seconds))
        print(f"    {label:40}{seconds:8.3f}   {rows[-1][1]}", flush=True)

    for label, filters in cases(size, practice_id):
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
    db.session.execute(db.delete(Alert).where(Alert.practice_id == practice_id))
    db.session.commit()
    return rows


if __name__ == "__main__":
    jobs_bench.main(parts=(staff_rows,), title="Saldo staff pages", doc=__doc__)
