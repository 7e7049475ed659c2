"""A period's collection figures (charges, payments, refunds, DSO, collection rate, CEI) and
which reminder preceded each payment, computed in SQL (conventions in `reports`); `report`
puts them together with the aging."""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import (
    Date,
    and_,
    case,
    func,
    literal,
    or_,
    union_all,
)
from sqlalchemy.sql.expression import ColumnElement

from portal.clock import utc_day
from portal.extensions import db
from portal.models import Invoice, KeptLedgerDay, LedgerEntry, Practice, ReminderLog
from portal.models.ledger import LedgerKind
from portal.services.collections import aging_kept
from portal.services.collections.aging_report import aging, aging_buckets
from portal.services.collections.reports import (
    DEFAULT_DAYS,
    NOT_SENT,
    ONE_DECIMAL,
    Aging,
    Period,
    PeriodFigures,
    Report,
    StepRow,
    day_starts,
    period_ending,
)


def _ratio(numerator: int, denominator: int, factor: int) -> Decimal | None:
    if denominator <= 0:
        return None
    value = Decimal(numerator * factor) / Decimal(denominator)
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


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

    charges, payments, refunds = _period_sums(practice, as_of, start, end)
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


#: the kinds a period sums, with the sign that makes each a positive amount
_SUMMED = (("charge", 1), ("payment", -1), ("refund", 1))


def _period_sums(
    practice: Practice, as_of: date, start: datetime, end: datetime
) -> tuple[int, int, int]:
    """Charges, payments and refunds created from `start` to `end` (naive UTC), of the
    invoices that count as of `as_of`, in one statement: the whole UTC days inside from the
    kept day totals, the hours at either edge from the ledger's kind and time index, less the
    entries of the few invoices that do not count (issued later, or void by the end)."""
    kinds = [kind for kind, _sign in _SUMMED]
    ours = and_(LedgerEntry.practice_id == practice.id, LedgerEntry.kind.in_(kinds))
    first_whole = utc_day(start) if start.time() == time() else utc_day(start) + timedelta(days=1)
    after_whole = utc_day(end)
    if first_whole < after_whole:
        kept = db.select(KeptLedgerDay.kind, KeptLedgerDay.amount_minor).where(
            KeptLedgerDay.practice_id == practice.id,
            KeptLedgerDay.kind.in_(kinds),
            KeptLedgerDay.day >= first_whole,
            KeptLedgerDay.day < after_whole,
        )
        midnights = datetime.combine(first_whole, time()), datetime.combine(after_whole, time())
        edges = or_(
            and_(LedgerEntry.created_at >= start, LedgerEntry.created_at < midnights[0]),
            and_(LedgerEntry.created_at >= midnights[1], LedgerEntry.created_at < end),
        )
        parts = [kept, db.select(LedgerEntry.kind, LedgerEntry.amount_minor).where(ours, edges)]
    else:  # less than a whole UTC day: all from the ledger
        inside = and_(LedgerEntry.created_at >= start, LedgerEntry.created_at < end)
        parts = [db.select(LedgerEntry.kind, LedgerEntry.amount_minor).where(ours, inside)]
    left_out = (
        db.select(Invoice.id)
        .where(
            Invoice.practice_id == practice.id,
            or_(Invoice.issued_on > as_of, Invoice.voided_at < end),  # not `counted`, indexed
        )
        .scalar_subquery()
    )
    parts.append(
        db.select(LedgerEntry.kind, -LedgerEntry.amount_minor).where(
            ours,
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < end,
            LedgerEntry.invoice_id.in_(left_out),
        )
    )
    rows = union_all(*parts).subquery("amounts")
    columns = [
        func.coalesce(func.sum(case((rows.c.kind == kind, sign * rows.c.amount_minor))), 0)
        for kind, sign in _SUMMED
    ]
    charges, payments, refunds = (int(v) for v in db.session.execute(db.select(*columns)).one())
    return charges, payments, refunds


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
            LedgerEntry.kind == LedgerKind.PAYMENT,
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
        ReminderLog.status.not_in(NOT_SENT),
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
    """Everything the staff page shows; with a `patient_limit`, from the totals kept on the
    patients when they are the aging's (`aging_kept`)."""
    if patient_limit is not None and aging_kept.kept_totals_hold(practice, as_of):
        aged = aging_kept.aging_from_kept_totals(practice, as_of, patient_limit)
    else:
        aged = aging(practice, as_of, patient_limit)
    figures = period_figures(practice, as_of, days, ending=aged)
    return Report(aged, figures, payments_by_step(practice, as_of, days))
