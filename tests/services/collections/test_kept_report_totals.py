"""The report totals the database keeps (migration 0028) equal plain sums over the invoices and
the ledger, after any mix of invoices, charges, payments, refunds, write-offs, voids, moved
due dates and bulk inserts, committed in batches."""

from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, text

from portal.extensions import db
from portal.models import (
    Invoice,
    KeptLedgerDay,
    KeptPatientsOwing,
    KeptReceivable,
    LedgerEntry,
    Patient,
)
from portal.services.billing import imports, ledger
from portal.services.collections import kept_totals
from portal.services.core import jobs
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.services.billing.imports.test_writing import ROWS

KINDS = sorted(ledger.SIGNS)
START = datetime(2026, 10, 1, 7, 30)


def _plain_receivables() -> dict:
    balances = defaultdict(int)
    for invoice_id, amount in db.session.execute(
        db.select(LedgerEntry.invoice_id, LedgerEntry.amount_minor)
    ):
        balances[invoice_id] += amount
    sums = defaultdict(lambda: [0, 0])
    for invoice in db.session.scalars(db.select(Invoice)):
        if balances[invoice.id] > 0:
            row = sums[(invoice.practice_id, invoice.due_on)]
            row[0] += balances[invoice.id]
            row[1] += 1
    return {key: tuple(value) for key, value in sums.items()}


def _plain_days() -> dict:
    sums = defaultdict(lambda: [0, 0])
    for practice_id, created_at, kind, amount in db.session.execute(
        db.select(
            LedgerEntry.practice_id,
            LedgerEntry.created_at,
            LedgerEntry.kind,
            LedgerEntry.amount_minor,
        )
    ):
        row = sums[(practice_id, created_at.date(), kind)]
        row[0] += amount
        row[1] += 1
    return {key: tuple(value) for key, value in sums.items()}


def _kept_receivables() -> dict:
    key = (KeptReceivable.practice_id, KeptReceivable.due_on)
    rows = db.session.execute(
        db.select(
            *key, func.sum(KeptReceivable.amount_minor), func.sum(KeptReceivable.invoices)
        ).group_by(*key)
    )
    return {(p, d): (a, n) for p, d, a, n in rows if (a, n) != (0, 0)}


def _kept_days() -> dict:
    key = (KeptLedgerDay.practice_id, KeptLedgerDay.day, KeptLedgerDay.kind)
    rows = db.session.execute(
        db.select(
            *key, func.sum(KeptLedgerDay.amount_minor), func.sum(KeptLedgerDay.entries)
        ).group_by(*key)
    )
    return {(p, d, k): (a, n) for p, d, k, a, n in rows if (a, n) != (0, 0)}


def _plain_owing() -> dict:
    rows = db.session.execute(
        db.select(Patient.practice_id, func.count())
        .where(Patient.open_balance_minor > 0)
        .group_by(Patient.practice_id)
    )
    return dict(rows.all())


def _kept_owing() -> dict:
    rows = db.session.execute(
        db.select(KeptPatientsOwing.practice_id, func.sum(KeptPatientsOwing.patients)).group_by(
            KeptPatientsOwing.practice_id
        )
    )
    return {practice_id: n for practice_id, n in rows if n}


def _assert_kept_equal_plain():
    db.session.expire_all()
    assert _kept_receivables() == _plain_receivables()
    assert _kept_days() == _plain_days()
    assert _kept_owing() == _plain_owing()


MOVES = st.one_of(
    st.tuples(st.just("entry"), st.integers(0, 5), st.sampled_from(KINDS), st.integers(1, 9000)),
    st.tuples(st.just("bulk"), st.integers(0, 5), st.sampled_from(KINDS), st.integers(1, 9000)),
    st.tuples(st.just("void"), st.integers(0, 5), st.just(""), st.just(0)),
    st.tuples(st.just("due"), st.integers(0, 5), st.just(""), st.integers(-40, 40)),
    st.tuples(st.just("draft"), st.integers(0, 5), st.just(""), st.just(0)),
    st.tuples(st.just("move"), st.integers(0, 5), st.just(""), st.integers(0, 2)),
    st.tuples(st.just("fold"), st.just(0), st.just(""), st.just(0)),
)


@settings(
    max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    charges=st.lists(st.integers(1, 20000), min_size=6, max_size=6),
    dues=st.lists(st.integers(0, 3), min_size=6, max_size=6),
    moves=st.lists(st.tuples(MOVES, st.integers(0, 24 * 90)), max_size=14),
    commit_every=st.integers(1, 4),
)
def test_kept_report_totals_are_the_plain_sums(app, charges, dues, moves, commit_every):
    """Six invoices of two practices (some due on the same day), then entries of every kind
    at any hour (also before earlier ones), bulk inserts of several entries, voids with
    their adjustment, moved due dates, invoices moved to another patient and a draft created
    and deleted."""
    practices = [factories.practice(), factories.practice()]
    people = [factories.patient(p, first_name=f"P{n}") for n in range(3) for p in practices]
    bills = [
        factories.invoice(
            people[n % 4], amounts=(amount,), number=f"T-{n}", today=date(2026, 10, 1 + due)
        )
        for n, (amount, due) in enumerate(zip(charges, dues, strict=True))
    ]
    for step, ((what, which, kind, amount), hours) in enumerate(moves, start=1):
        bill = bills[which]
        at = START + timedelta(hours=hours)
        if what == "entry":
            ledger.post(bill, kind, amount).created_at = at
        elif what == "bulk":
            rows = [
                dict(
                    practice_id=bill.practice_id,
                    invoice_id=bill.id,
                    kind=k,
                    amount_minor=ledger.SIGNS[k] * amount,
                    currency="EUR",
                    created_at=at + timedelta(minutes=m),
                )
                for m, k in enumerate((kind, "payment", "charge"))
            ]
            db.session.execute(insert(LedgerEntry), rows)
        elif what == "void" and bill.status != "void":
            left = ledger.balance(bill.id)
            if left > 0:
                ledger.post(bill, "adjustment", left)
            bill.status, bill.voided_at = "void", at
        elif what == "move":  # to another patient of the same practice
            bill.patient_id = people[2 * amount + (bill.practice_id != practices[0].id)].id
        elif what == "due":
            bill.due_on += timedelta(days=amount)
        elif what == "fold":  # the hourly run's fold, between any two changes
            db.session.flush()
            kept_totals.compact()
        elif what == "draft":
            draft = Invoice(
                practice_id=bill.practice_id,
                patient_id=bill.patient_id,
                number=f"D-{step}",
                currency="EUR",
                issued_on=bill.issued_on,
                due_on=bill.due_on,
                status="draft",
            )
            db.session.add(draft)
            db.session.flush()
            db.session.delete(draft)
        db.session.flush()
        if step % commit_every == 0:
            db.session.commit()
    db.session.commit()
    _assert_kept_equal_plain()


def test_a_deleted_invoice_takes_its_receivable_with_it(app):
    patient = factories.patient(factories.practice())
    kept = factories.invoice(patient, amounts=(4200,))
    gone = Invoice(
        practice_id=patient.practice_id,
        patient_id=patient.id,
        number="B-2",
        currency="EUR",
        issued_on=kept.issued_on,
        due_on=kept.due_on,
    )
    db.session.add(gone)
    db.session.flush()
    ledger.post(gone, "charge", 800)
    db.session.commit()
    assert _kept_receivables() == {(patient.practice_id, kept.due_on): (5000, 2)}
    db.session.execute(db.delete(LedgerEntry).where(LedgerEntry.invoice_id == gone.id))
    db.session.execute(db.delete(Invoice).where(Invoice.id == gone.id))
    db.session.commit()
    assert _kept_receivables() == {(patient.practice_id, kept.due_on): (4200, 1)}


def test_an_import_written_through_the_driver_keeps_the_totals(app):
    """The CSV import writes straight through the driver (COPY on PostgreSQL, one prepared
    INSERT per table on SQLite): the triggers keep the totals of what it writes."""
    practice = factories.practice()
    csv_file = imports.read_csv(ROWS.encode())
    mapping = imports.guess_mapping(csv_file.headers)
    assert imports.commit(practice, csv_file, mapping, actor=SYSTEM).imported
    db.session.commit()
    assert _kept_receivables() == {
        (practice.id, date(2026, 3, 31)): (13000, 2),
        (practice.id, date(2026, 4, 1)): (90000, 1),
    }
    assert _kept_owing() == {practice.id: 2}
    _assert_kept_equal_plain()


def _rows_per_key() -> dict[str, int]:
    """The most rows any key of each kept table has."""
    most = {}
    for table, (keys, _sums) in kept_totals.TABLES.items():
        key = ", ".join(keys)
        counts = db.session.execute(
            text(f"SELECT count(*) FROM {table} GROUP BY {key}")  # noqa: S608 (our names)
        ).scalars()
        most[table] = max(counts, default=0)
    return most


def test_the_fold_leaves_one_row_per_key_and_every_sum(app):
    patient = factories.patient(factories.practice())
    bills = [factories.invoice(patient, amounts=(1000 * n,), number=f"F-{n}") for n in (1, 2)]
    for bill, amount in ((bills[0], 300), (bills[1], 300), (bills[0], 700)):
        ledger.post(bill, "payment", amount)  # the last pays the first: its receivable goes
        db.session.flush()  # each its own statement (a statement trigger appends one row)
    db.session.commit()
    before = (_kept_receivables(), _kept_days(), _kept_owing())
    assert _rows_per_key()["kept_ledger_day"] == 3  # three payments of one kind on one day
    kept_totals.compact()
    db.session.commit()
    assert (_kept_receivables(), _kept_days(), _kept_owing()) == before
    assert before[0] == {(patient.practice_id, bills[1].due_on): (1700, 1)}
    assert _rows_per_key() == {
        "kept_receivable": 1,
        "kept_ledger_day": 1,
        "kept_patients_owing": 1,
    }
    ledger.post(bills[1], "payment", 100)
    db.session.commit()
    assert _rows_per_key()["kept_ledger_day"] == 2
    jobs.run_due(date(2026, 11, 2))  # the periodic run folds them
    assert _rows_per_key()["kept_ledger_day"] == 1
    before = (_kept_receivables(), _kept_days(), _kept_owing())
    assert before[0] == {(patient.practice_id, bills[1].due_on): (1600, 1)}
    kept_totals.compact()  # a second fold finds nothing to fold
    db.session.commit()
    assert (_kept_receivables(), _kept_days(), _kept_owing()) == before
    _assert_kept_equal_plain()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_writers_of_one_practice_and_day_do_not_wait_on_each_other(app):
    """Each trigger appends a row: a second transaction posting a payment of another patient
    of the same practice, due day and ledger day goes through while the first is still open
    (a shared running-total row would hold it until the first commits)."""
    practice = factories.practice()
    people = [factories.patient(practice, first_name=name) for name in ("Ada", "Bruno")]
    bills = [
        factories.invoice(person, amounts=(5000,), number=f"W-{n}")
        for n, person in enumerate(people)
    ]
    db.session.commit()
    ids = [bill.id for bill in bills]
    engine = db.engine
    with engine.connect() as first, engine.connect() as second:
        first.begin()
        second.begin()
        second.execute(text("SET LOCAL lock_timeout = '2s'"))
        for connection, invoice_id in zip((first, second), ids, strict=True):
            connection.execute(
                insert(LedgerEntry).values(
                    practice_id=practice.id,
                    invoice_id=invoice_id,
                    kind="payment",
                    amount_minor=-1000,
                    currency="EUR",
                    created_at=datetime(2026, 11, 2, 10),
                )
            )
        second.commit()  # it did not wait for the first, still open
        first.commit()
    db.session.expire_all()
    assert _kept_receivables() == {(practice.id, bills[0].due_on): (8000, 2)}
    assert _kept_owing() == {practice.id: 2}
    _assert_kept_equal_plain()
