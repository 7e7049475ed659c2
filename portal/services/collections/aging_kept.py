"""The aging's largest patients from the totals kept on the patients (`open_balance_minor`),
when those totals are the aging's: nothing was posted to the practice's ledger after the day
and every invoice with a positive balance counts as of the day (the usual case: the staff page
as of today). Otherwise `aging_report.aging` works them out from the invoices."""

from datetime import date, timedelta

from sqlalchemy import BigInteger, and_, case, cast, exists, func, literal_column, or_, select

from portal.extensions import db
from portal.models import Invoice, LedgerEntry, Patient, Practice
from portal.services.collections.aging_report import _bucket_index, _numbers, _pivot, counted
from portal.services.collections.reports import BUCKETS, Aging, Bucket, PatientAging, day_starts


def kept_totals_hold(practice: Practice, as_of: date) -> bool:
    """Whether each patient's kept open total is their aging total as of `as_of`."""
    cutoff = day_starts(practice.timezone, as_of + timedelta(days=1))
    later = exists().where(LedgerEntry.practice_id == practice.id, LedgerEntry.created_at >= cutoff)
    uncounted = exists().where(
        Invoice.practice_id == practice.id,
        Invoice.balance_minor > 0,
        or_(Invoice.issued_on > as_of, Invoice.voided_at < cutoff),
    )
    return not db.session.scalar(select(or_(later, uncounted)))


def aging_from_kept_totals(practice: Practice, as_of: date, patient_limit: int) -> Aging:
    """`aging_report.aging(practice, as_of, patient_limit)` when `kept_totals_hold`: the
    buckets from the open invoices, the first `patient_limit` patients from the patients'
    index of open totals, then their buckets from their own invoices; two statements."""
    cutoff = day_starts(practice.timezone, as_of + timedelta(days=1))
    open_invoices = and_(
        Invoice.practice_id == practice.id,
        Invoice.balance_minor > literal_column("0"),  # a literal: the partial index's predicate
        counted(as_of, cutoff),
    )
    owing = and_(
        Patient.practice_id == practice.id, Patient.open_balance_minor > literal_column("0")
    )
    # the open invoices grouped by due date first (one pass over the index of open balances,
    # a few hundred groups), then into buckets
    by_due = (
        select(
            Invoice.due_on.label("due_on"),
            func.sum(Invoice.balance_minor).label("amount"),
            func.count().label("invoices"),
        )
        .where(open_invoices)
        .group_by(Invoice.due_on)
        .subquery("by_due")
    )
    bucket = _bucket_index(by_due.c.due_on, as_of)

    def total(value):
        return cast(func.coalesce(func.sum(value), 0), BigInteger)

    indexes = range(len(BUCKETS))
    columns = [total(case((bucket == n, by_due.c.amount), else_=0)) for n in indexes]
    columns += [total(case((bucket == n, by_due.c.invoices), else_=0)) for n in indexes]
    patients = select(func.count()).where(owing).scalar_subquery()
    practice_row = db.session.execute(select(*columns, patients.label("patients"))).one()
    top = (
        select(Patient.id, Patient.first_name, Patient.last_name, Patient.open_balance_minor)
        .where(owing)
        .order_by(
            Patient.open_balance_minor.desc(), Patient.last_name, Patient.first_name, Patient.id
        )
        .limit(patient_limit)
        .cte("top")
    )
    theirs = (
        select(
            Invoice.patient_id.label("patient_id"),
            _bucket_index(Invoice.due_on, as_of).label("bucket"),
            Invoice.balance_minor.label("balance"),
        )
        .join(top, top.c.id == Invoice.patient_id)
        .where(open_invoices)
        .subquery("theirs")
    )
    per_patient = (
        select(theirs.c.patient_id, *_pivot(theirs)).group_by(theirs.c.patient_id).subquery("pp")
    )
    query = (
        select(top.c.id, top.c.first_name, top.c.last_name, *list(per_patient.c)[1:])
        .join(per_patient, per_patient.c.patient_id == top.c.id)
        .order_by(top.c.open_balance_minor.desc(), top.c.last_name, top.c.first_name, top.c.id)
    )
    people = []
    for row in db.session.execute(query):
        amounts, counts, total_minor, invoices = _numbers(row, 3)
        people.append(PatientAging(row[0], row[1], row[2], amounts, counts, total_minor, invoices))
    k = len(BUCKETS)
    amounts, counts = practice_row[:k], practice_row[k : 2 * k]
    buckets = tuple(Bucket(*values) for values in zip(BUCKETS, amounts, counts, strict=True))
    return Aging(
        practice.id,
        practice.currency,
        as_of,
        buckets,
        tuple(people),
        int(practice_row.patients),
    )
