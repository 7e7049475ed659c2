"""Collection reports as of a day D, computed in SQL from the append-only ledger.

Conventions (the staff page, the CSV and `flask report aging` all use these):

* Days are the practice's calendar days. "As of D" means up to the end of D in the practice's
  time zone: ledger entries with `created_at` (naive UTC) before local midnight at the start of
  D + 1, of invoices with `issued_on` <= D.
* The balance of an invoice as of D is the sum of those entries. Only positive balances are
  receivables. An invoice counts as of D when it was issued on or before D and not voided by
  the end of D (a voided one nets to zero through its void adjustment anyway; a draft has no
  entries), so an invoice voided by D adds nothing to the period's charges either.
* Age = D - due_on in days. Buckets: "current" = not yet past due (age <= 0, due on D or
  later), then 1-30, 31-60, 61-90, 91-120 and "120+" (age >= 121) days past due.
* A period is `days` calendar days ending on D (default 90): first day = D - days + 1.
* Receivables at a day = the aging total as of that day. Beginning receivables of a period are
  those as of the day before its first day; ending receivables those as of D.
* Charges of a period = `charge` entries created in it, of the invoices that count as of D;
  payments = `payment` entries; refunds = `refund` entries (each as a positive amount).
* DSO = receivables at D / charges of the period x days of the period.
* Collection rate = (payments - refunds) / charges of the period x 100.
* CEI = (beginning receivables + charges - ending receivables)
      / (beginning receivables + charges - ending current receivables) x 100,
  where ending current receivables = the "current" bucket as of D (not past due).
  The numerator is what the period removed from receivables: payments net of refunds plus
  credits (discounts, adjustments, settlements, write-offs).
* Ratios are Decimals rounded half up to one decimal; None when the denominator is not positive.
* Reminder before a payment: for each `payment` entry of the period, the latest ReminderLog of
  the same invoice (by sent_on, then position, then id) sent on or before the payment's day
  (its practice-local day), leaving out steps that did not go out (status "skipped" or
  "failed"); none = "no reminder". Amounts are the payments' gross amounts.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    union_all,
)
from sqlalchemy.sql.expression import ColumnElement

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Invoice, LedgerEntry, Patient, Practice, ReminderLog
from portal.money import format_plain

BUCKETS = ("current", "1-30", "31-60", "61-90", "91-120", "120+")
#: days past due at which each bucket after "current" starts (age = D - due_on)
_FLOORS = (1, 31, 61, 91, 121)
DEFAULT_DAYS = 90
MAX_DAYS = 366
#: reminder log statuses that mean nothing reached the patient
_NOT_SENT = ("skipped", "failed")
_ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class Bucket:
    key: str
    amount_minor: int
    invoices: int


@dataclass(frozen=True)
class PatientAging:
    patient_id: int
    first_name: str
    last_name: str
    #: amounts and invoice counts in the order of BUCKETS
    amounts_minor: tuple[int, ...]
    counts: tuple[int, ...]
    total_minor: int
    invoices: int

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Aging:
    practice_id: int
    currency: str
    as_of: date
    buckets: tuple[Bucket, ...]
    #: largest total first; all of them unless a limit was asked for
    patients: tuple[PatientAging, ...] = ()
    #: how many patients have an open balance (also when `patients` is limited)
    patient_count: int = 0

    @property
    def total_minor(self) -> int:
        return sum(b.amount_minor for b in self.buckets)

    @property
    def invoices(self) -> int:
        return sum(b.invoices for b in self.buckets)

    @property
    def current_minor(self) -> int:
        return self.buckets[0].amount_minor

    @property
    def past_due_minor(self) -> int:
        return self.total_minor - self.current_minor


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True)
class PeriodFigures:
    period: Period
    currency: str
    receivables_begin_minor: int
    receivables_end_minor: int
    current_end_minor: int
    charges_minor: int
    payments_minor: int
    refunds_minor: int
    dso_days: Decimal | None
    collection_rate: Decimal | None
    cei: Decimal | None

    @property
    def net_payments_minor(self) -> int:
        return self.payments_minor - self.refunds_minor


@dataclass(frozen=True)
class StepRow:
    """Payments of a period by the reminder step that preceded them; position None = none."""

    position: int | None
    channel: str | None
    payments: int
    amount_minor: int


@dataclass(frozen=True)
class Report:
    aging: Aging
    figures: PeriodFigures
    steps: tuple[StepRow, ...]


def period_ending(as_of: date, days: int = DEFAULT_DAYS) -> Period:
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a period is 1 to {MAX_DAYS} days")
    return Period(as_of - timedelta(days=days - 1), as_of)


def today_in(timezone: str) -> date:
    """Today's date in `timezone` (the default day D of the page and the command)."""
    return utcnow().replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).date()


def day_starts(timezone: str, day: date) -> datetime:
    """Naive UTC instant at which `day` starts in `timezone` (local midnight)."""
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


def _bucket_index(due_on, as_of: date) -> ColumnElement[int]:
    """0 for "current" (due on D or later), 1..5 for the past-due buckets."""
    whens = [(due_on >= as_of, 0)]
    whens += [
        (due_on >= as_of - timedelta(days=floor + 29), n)
        for n, floor in enumerate(_FLOORS[:-1], start=1)
    ]
    return case(*whens, else_=len(BUCKETS) - 1)


def _counted(as_of: date, cutoff: datetime) -> ColumnElement[bool]:
    """Invoices that count as of D: issued on or before D and not void by its end."""
    return and_(
        Invoice.issued_on <= as_of,
        or_(Invoice.voided_at.is_(None), Invoice.voided_at >= cutoff),
    )


def _open_invoices(practice: Practice, as_of: date) -> Select:
    """(patient_id, bucket, balance) of each invoice with a positive balance as of `as_of`."""
    cutoff = day_starts(practice.timezone, as_of + timedelta(days=1))
    balance = func.sum(LedgerEntry.amount_minor)
    per_invoice = (
        db.select(LedgerEntry.invoice_id.label("invoice_id"), balance.label("balance"))
        .where(LedgerEntry.practice_id == practice.id, LedgerEntry.created_at < cutoff)
        .group_by(LedgerEntry.invoice_id)
        .having(balance > 0)
        .subquery("per_invoice")
    )
    return (
        db.select(
            Invoice.patient_id.label("patient_id"),
            _bucket_index(Invoice.due_on, as_of).label("bucket"),
            per_invoice.c.balance.label("balance"),
        )
        .join_from(per_invoice, Invoice, Invoice.id == per_invoice.c.invoice_id)
        .where(Invoice.practice_id == practice.id, _counted(as_of, cutoff))
    )


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
    by every parallel worker of the query that joins it to the invoices."""
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


def _ratio(numerator: int, denominator: int, factor: int) -> Decimal | None:
    if denominator <= 0:
        return None
    value = Decimal(numerator * factor) / Decimal(denominator)
    return value.quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def period_figures(
    practice: Practice, as_of: date, days: int = DEFAULT_DAYS, ending: Aging | None = None
) -> PeriodFigures:
    """Charges, payments, refunds, DSO, collection rate and CEI of the `days` ending on
    `as_of`; `ending` is the aging as of `as_of` when the caller already has it."""
    period = period_ending(as_of, days)
    ending = ending or aging_buckets(practice, as_of)
    if (ending.practice_id, ending.as_of) != (practice.id, as_of):
        raise ValueError("the ending aging is of another practice or day")
    beginning = aging_buckets(practice, period.first_day - timedelta(days=1))
    start = day_starts(practice.timezone, period.first_day)
    end = day_starts(practice.timezone, as_of + timedelta(days=1))

    def total(kind: str, sign: int):
        return func.coalesce(
            func.sum(case((LedgerEntry.kind == kind, sign * LedgerEntry.amount_minor), else_=0)),
            0,
        )

    query = (
        db.select(total("charge", 1), total("payment", -1), total("refund", 1))
        .join_from(LedgerEntry, Invoice, Invoice.id == LedgerEntry.invoice_id)
        .where(
            LedgerEntry.practice_id == practice.id,
            LedgerEntry.kind.in_(("charge", "payment", "refund")),
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < end,
            _counted(as_of, end),
        )
    )
    charges, payments, refunds = (int(v) for v in db.session.execute(query).one())
    begin, end_total, current = beginning.total_minor, ending.total_minor, ending.current_minor
    return PeriodFigures(
        period=period,
        currency=practice.currency,
        receivables_begin_minor=begin,
        receivables_end_minor=end_total,
        current_end_minor=current,
        charges_minor=charges,
        payments_minor=payments,
        refunds_minor=refunds,
        dso_days=_ratio(end_total, charges, period.days),
        collection_rate=_ratio(payments - refunds, charges, 100),
        cei=_ratio(begin + charges - end_total, begin + charges - current, 100),
    )


def _local_day(created_at, timezone: str, period: Period) -> ColumnElement[date]:
    """The practice-local day of a naive UTC timestamp inside `period`: nested CASEs that
    bisect the period's day boundaries (about log2(days) comparisons per row), so the
    database needs no time zone support and DST changes fall where they really are."""
    days = [period.first_day + timedelta(days=n) for n in range(period.days)]

    def between(low: int, high: int) -> ColumnElement[date]:
        if low == high:
            return literal(days[low], Date)
        middle = (low + high) // 2
        next_day_starts = day_starts(timezone, days[middle] + timedelta(days=1))
        return case(
            (created_at < next_day_starts, between(low, middle)),
            else_=between(middle + 1, high),
        )

    return between(0, len(days) - 1)


def payments_by_step(
    practice: Practice, as_of: date, days: int = DEFAULT_DAYS
) -> tuple[StepRow, ...]:
    """Payments of the period counted and summed by the latest reminder step (position,
    channel) sent for the same invoice on or before the day of the payment."""
    period = period_ending(as_of, days)
    start = day_starts(practice.timezone, period.first_day)
    end = day_starts(practice.timezone, as_of + timedelta(days=1))
    paid = (
        db.select(
            LedgerEntry.id.label("entry_id"),
            LedgerEntry.invoice_id.label("invoice_id"),
            (-LedgerEntry.amount_minor).label("amount"),
            _local_day(LedgerEntry.created_at, practice.timezone, period).label("paid_on"),
        )
        .where(
            LedgerEntry.practice_id == practice.id,
            LedgerEntry.kind == "payment",
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < end,
        )
        .subquery("paid")
    )
    # the invoice's own reminders (no practice_id test: the payments are the practice's, and
    # that test would tempt SQLite, without statistics, to read all the practice's reminders)
    reminder = and_(
        ReminderLog.invoice_id == paid.c.invoice_id,
        ReminderLog.sent_on <= paid.c.paid_on,
        ReminderLog.status.not_in(_NOT_SENT),
    )
    latest_first = func.row_number().over(
        partition_by=paid.c.entry_id,
        order_by=(ReminderLog.sent_on.desc(), ReminderLog.position.desc(), ReminderLog.id.desc()),
    )
    ranked = (
        db.select(
            paid.c.amount,
            ReminderLog.position.label("position"),
            ReminderLog.channel.label("channel"),
            latest_first.label("rank"),
        )
        .select_from(paid)
        .outerjoin(ReminderLog, reminder)
        .subquery("ranked")
    )
    no_step_first = case((ranked.c.position.is_(None), 0), else_=1)
    query = (
        db.select(ranked.c.position, ranked.c.channel, func.count(), func.sum(ranked.c.amount))
        .where(ranked.c.rank == 1)
        .group_by(ranked.c.position, ranked.c.channel)
        .order_by(no_step_first, ranked.c.position, ranked.c.channel)
    )
    return tuple(
        StepRow(position, channel, int(n), int(amount))
        for position, channel, n, amount in db.session.execute(query)
    )


def report(
    practice: Practice,
    as_of: date,
    days: int = DEFAULT_DAYS,
    patient_limit: int | None = None,
) -> Report:
    """Everything the staff page shows."""
    aged = aging(practice, as_of, patient_limit)
    figures = period_figures(practice, as_of, days, ending=aged)
    return Report(aged, figures, payments_by_step(practice, as_of, days))


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


def practices_for(slug: str | None) -> list[Practice]:
    query = db.select(Practice).order_by(Practice.slug)
    if slug:
        query = query.where(Practice.slug == slug)
    return list(db.session.scalars(query))


__all__ = [
    "BUCKETS",
    "Aging",
    "Bucket",
    "PatientAging",
    "Period",
    "PeriodFigures",
    "Report",
    "StepRow",
    "aging",
    "aging_buckets",
    "aging_csv_rows",
    "day_starts",
    "payments_by_step",
    "period_ending",
    "period_figures",
    "practices_for",
    "report",
    "today_in",
]
