"""The aging report as of a day: open balances by past-due bucket, for the practice and per
patient, computed in SQL from the balances kept on the invoices and the ledger entries posted
after the day (conventions in `reports`), and its CSV rows."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    union_all,
)
from sqlalchemy.sql.expression import ColumnElement

from portal.extensions import db
from portal.models import Invoice, LedgerEntry, Patient, Practice
from portal.money import format_plain
from portal.services.collections.reports import (
    BUCKETS,
    FLOORS,
    Aging,
    Bucket,
    PatientAging,
    day_starts,
)


def _bucket_index(due_on, as_of: date) -> ColumnElement[int]:
    """0 for "current" (due on D or later), 1..5 for the past-due buckets."""
    whens = [(due_on >= as_of, 0)]
    whens += [
        (due_on >= as_of - timedelta(days=floor + 29), n)
        for n, floor in enumerate(FLOORS[:-1], start=1)
    ]
    return case(*whens, else_=len(BUCKETS) - 1)


def counted(as_of: date, cutoff: datetime) -> ColumnElement[bool]:
    """Invoices that count as of D: issued on or before D and not void by its end."""
    return and_(
        Invoice.issued_on <= as_of,
        or_(Invoice.voided_at.is_(None), Invoice.voided_at >= cutoff),
    )


def _open_invoices(practice: Practice, as_of: date) -> CompoundSelect:
    """(patient_id, bucket, balance) of each invoice with a positive balance as of `as_of`.

    The balance as of D is the invoice's kept balance (`Invoice.balance_minor`, the sum of all
    its entries) less what was posted from the end of D on. Invoices with no entry since then
    come from the index of open balances; the others, usually few (none when D is today), are
    corrected by their entries since the end of D."""
    cutoff = day_starts(practice.timezone, as_of + timedelta(days=1))
    ours = and_(Invoice.practice_id == practice.id, counted(as_of, cutoff))
    since = func.sum(LedgerEntry.amount_minor)
    later = (
        db.select(LedgerEntry.invoice_id.label("invoice_id"), since.label("since"))
        .join_from(LedgerEntry, Invoice, Invoice.id == LedgerEntry.invoice_id)
        .where(LedgerEntry.practice_id == practice.id, LedgerEntry.created_at >= cutoff, ours)
        .group_by(LedgerEntry.invoice_id)
        .cte("later")
    )
    bucket = _bucket_index(Invoice.due_on, as_of).label("bucket")
    untouched = db.select(
        Invoice.patient_id.label("patient_id"), bucket, Invoice.balance_minor.label("balance")
    ).where(
        ours,
        Invoice.balance_minor > literal_column("0"),  # a literal: the partial index's predicate
        ~db.select(later.c.invoice_id).where(later.c.invoice_id == Invoice.id).exists(),
    )
    then = Invoice.balance_minor - later.c.since
    corrected = (
        db.select(Invoice.patient_id, bucket, then.label("balance"))
        .join_from(later, Invoice, Invoice.id == later.c.invoice_id)
        .where(then > 0)
    )
    return union_all(untouched, corrected)


def _pivot(rows) -> list[ColumnElement]:
    """Amount and invoice count per bucket, total and count, over `rows` (one row per
    invoice): the same columns for the practice (ungrouped) and for each patient (grouped)."""

    def total(value) -> ColumnElement[int]:
        # bigint, not PostgreSQL's numeric sum of bigints: cheaper to sort, an int in Python
        return cast(func.coalesce(func.sum(value), 0), BigInteger)

    indexes = range(len(BUCKETS))
    amounts = [total(case((rows.c.bucket == n, rows.c.balance), else_=0)) for n in indexes]
    counts = [total(case((rows.c.bucket == n, 1), else_=0)) for n in indexes]
    columns = [*amounts, *counts, total(rows.c.balance), func.count()]
    return [column.label(f"c{n}") for n, column in enumerate(columns)]


def _numbers(row, offset: int) -> tuple[tuple[int, ...], tuple[int, ...], int, int]:
    """(amounts, counts, total, invoices) from the `_pivot` columns starting at `offset`."""
    k = len(BUCKETS)
    values = tuple(row[offset : offset + 2 * k + 2])  # ints: `_pivot` casts its sums
    return values[:k], values[k : 2 * k], values[2 * k], values[2 * k + 1]


def _practice_aging(practice: Practice, as_of: date, row, patients=(), count=0) -> Aging:
    amounts, counts, _total, _invoices = _numbers(row, 0)
    buckets = tuple(Bucket(*values) for values in zip(BUCKETS, amounts, counts, strict=True))
    return Aging(practice.id, practice.currency, as_of, buckets, tuple(patients), count)


def _open_invoices_cte(practice: Practice, as_of: date):
    """`_open_invoices` as a CTE, materialized on PostgreSQL: computed once, and not again
    by every parallel worker of the query that joins it to the patients."""
    rows = _open_invoices(practice, as_of).cte("open_invoices")
    if db.session.get_bind().dialect.name == "postgresql":
        rows = rows.prefix_with("MATERIALIZED")
    return rows


def aging_buckets(practice: Practice, as_of: date) -> Aging:
    """Totals and invoice counts per bucket as of the end of `as_of`, no patient rows."""
    rows = _open_invoices_cte(practice, as_of)
    query = db.select(rows.c.bucket, func.sum(rows.c.balance), func.count()).group_by(rows.c.bucket)
    found = {int(k): (int(amount), int(n)) for k, amount, n in db.session.execute(query)}
    buckets = tuple(Bucket(key, *found.get(index, (0, 0))) for index, key in enumerate(BUCKETS))
    return Aging(practice.id, practice.currency, as_of, buckets)


def aging(practice: Practice, as_of: date, patient_limit: int | None = None) -> Aging:
    """Buckets of the practice and one row per patient with an open balance as of `as_of`
    (largest total first, then by name); `patient_limit` keeps only the first rows.

    One statement: the open invoices are computed once (a CTE used twice, which SQLite and
    PostgreSQL materialize) and aggregated twice, for the practice and per patient."""
    rows = _open_invoices_cte(practice, as_of)
    practice_row = db.select(
        literal(0).label("scope"),
        literal(None, Integer).label("patient_id"),
        literal(None, String).label("first_name"),
        literal(None, String).label("last_name"),
        *_pivot(rows),
        func.count(rows.c.patient_id.distinct()).label("patients"),
    )
    per_patient = (
        db.select(rows.c.patient_id, *_pivot(rows)).group_by(rows.c.patient_id).subquery("pp")
    )
    total = per_patient.c[f"c{2 * len(BUCKETS)}"]
    patient_rows = db.select(
        literal(1).label("scope"),
        per_patient.c.patient_id,
        Patient.first_name,
        Patient.last_name,
        *[per_patient.c[f"c{n}"] for n in range(2 * len(BUCKETS) + 2)],
        literal(0).label("patients"),
    ).join_from(per_patient, Patient, Patient.id == per_patient.c.patient_id)
    if patient_limit is not None:
        patient_rows = patient_rows.order_by(
            total.desc(), Patient.last_name, Patient.first_name, Patient.id
        ).limit(patient_limit)
    patient_rows = patient_rows.subquery("patient_rows")
    query = union_all(practice_row, db.select(patient_rows)).subquery("aging")
    query = db.select(query).order_by(
        query.c.scope,
        query.c[f"c{2 * len(BUCKETS)}"].desc(),
        query.c.last_name,
        query.c.first_name,
        query.c.patient_id,
    )
    result = db.session.connection().execute(query).all()
    patients = []
    for row in result[1:]:
        amounts, counts, total_minor, invoices = _numbers(row, 4)
        patients.append(
            PatientAging(
                row.patient_id,
                row.first_name,
                row.last_name,
                amounts,
                counts,
                total_minor,
                invoices,
            )
        )
    return _practice_aging(practice, as_of, result[0][4:], patients, int(result[0].patients))


# --- CSV --------------------------------------------------------------------------------------

CSV_HEADER = (
    "as_of",
    "scope",
    "patient_id",
    "patient",
    "currency",
    *BUCKETS,
    "total",
    *(f"invoices_{key}" for key in BUCKETS),
    "invoices_total",
)


def _cell(text: str) -> str:
    """Text that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def aging_csv_rows(aged: Aging) -> Iterable[list[str]]:
    """CSV_HEADER, the practice's row, then one row per patient (in the order of
    `aged.patients`); amounts as plain decimals in the major unit, counts as integers."""
    plain = lambda minor: format_plain(minor, aged.currency)  # noqa: E731
    day = aged.as_of.isoformat()
    yield list(CSV_HEADER)
    yield [
        day,
        "practice",
        "",
        "",
        aged.currency,
        *(plain(b.amount_minor) for b in aged.buckets),
        plain(aged.total_minor),
        *(str(b.invoices) for b in aged.buckets),
        str(aged.invoices),
    ]
    for row in aged.patients:
        yield [
            day,
            "patient",
            str(row.patient_id),
            _cell(row.full_name),
            aged.currency,
            *(plain(amount) for amount in row.amounts_minor),
            plain(row.total_minor),
            *(str(n) for n in row.counts),
            str(row.invoices),
        ]
