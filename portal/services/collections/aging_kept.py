"""The aging's largest patients from the totals kept on the patients (`open_balance_minor`),
when those totals are the aging's: nothing was posted to the practice's ledger after the day
and every invoice with a positive balance counts as of the day (the usual case: the staff page
as of today). Then the buckets are the receivables kept per due day (`KeptReceivable`,
migration 0028), a row per day, and the count of patients owing is kept too
(`KeptPatientsOwing`). Otherwise `aging_report.aging` works them out from the invoices."""

from datetime import date, timedelta

from sqlalchemy import BigInteger, and_, case, cast, exists, func, literal_column, or_, select

from portal.extensions import db
from portal.models import (
    Invoice,
    KeptPatientsOwing,
    KeptReceivable,
    LedgerEntry,
    Patient,
    Practice,
)
from portal.services.collections.aging_report import _bucket_index, _numbers, _pivot, counted
from portal.services.collections.reports import BUCKETS, Aging, Bucket, PatientAging, day_starts


def kept_totals_hold(practice: Practice, as_of: date) -> bool:
    """Whether each patient's kept open total is their aging total as of `as_of`."""
    cutoff = day_starts(practice.timezone, as_of + timedelta(days=1))
    later = exists().where(LedgerEntry.practice_id == practice.id, LedgerEntry.created_at >= cutoff)
    # each through its own index: invoices issued after the day (usually none), void ones
    # with a balance left (0028's partial index)
    issued_later = exists().where(
        Invoice.practice_id == practice.id, Invoice.issued_on > as_of, Invoice.balance_minor > 0
    )
    void_open = exists().where(
        Invoice.practice_id == practice.id,
        Invoice.balance_minor > literal_column("0"),  # literals: the partial index's predicate
        Invoice.voided_at.is_not(None),
        Invoice.voided_at < cutoff,
    )
    return not db.session.scalar(select(or_(later, issued_later, void_open)))


def aging_from_kept_totals(practice: Practice, as_of: date, patient_limit: int) -> Aging:
    """`aging_report.aging(practice, as_of, patient_limit)` when `kept_totals_hold`: the
    buckets from the receivables kept per due day, the first `patient_limit` patients from the
    patients' index of open totals, then their buckets from their own invoices; two
    statements, neither reading every open invoice."""
    cutoff = day_starts(practice.timezone, as_of + timedelta(days=1))
    open_invoices = and_(
        Invoice.practice_id == practice.id,
        Invoice.balance_minor > literal_column("0"),  # a literal: the partial index's predicate
        counted(as_of, cutoff),
    )
    owing = and_(
        Patient.practice_id == practice.id, Patient.open_balance_minor > literal_column("0")
    )
    # the open receivables kept per due date (a row per day), grouped into buckets
    bucket = _bucket_index(KeptReceivable.due_on, as_of)

    def total(value):
        return cast(func.coalesce(func.sum(value), 0), BigInteger)

    indexes = range(len(BUCKETS))
    columns = [total(case((bucket == n, KeptReceivable.amount_minor), else_=0)) for n in indexes]
    columns += [total(case((bucket == n, KeptReceivable.invoices), else_=0)) for n in indexes]
    kept = select(*columns).where(KeptReceivable.practice_id == practice.id).subquery("kept")
    patients = (
        select(func.coalesce(func.sum(KeptPatientsOwing.patients), 0))
        .where(KeptPatientsOwing.practice_id == practice.id)
        .scalar_subquery()
    )
    practice_row = db.session.execute(select(kept, patients.label("patients"))).one()
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
