"""The reports, read from the balances kept on the invoices, agree with plain ledger sums on
random books: entries before, inside and after the period, voids, refunds, disputes; and the
reports page and the staff list cost a fixed number of SQL statements."""

import random
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.models import Patient
from portal.services.billing import ledger
from portal.services.billing.ledger import SIGNS
from portal.services.collections import aging_kept, aging_report, period_report, worklist
from portal.services.collections.reports import BUCKETS, FLOORS, day_starts, period_ending
from tests import factories
from tests.services.collections.test_reports import _entry, _invoice

D = date(2026, 11, 30)
#: after every entry, those the factories write at the real time included
LATER = date(2027, 12, 31)
MOVES = ("payment", "refund", "adjustment", "write_off", "dispute", "dispute_reversal", "credit")


def _random_book(seed: int, voids: bool = True):
    """A practice with 4 patients and 14 invoices; returns it and, per invoice, its facts."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible book, not a secret)
    practice = factories.practice()
    people = [
        factories.patient(practice, first_name=f"P{n}", last_name=rng.choice("ABC"))
        for n in range(4)
    ]
    book = []
    for n in range(14):
        issued = date(2026, 6, 1) + timedelta(days=rng.randrange(190))
        due = issued + timedelta(days=rng.randrange(61))
        first = datetime.combine(issued, datetime.min.time()) + timedelta(hours=9)
        voided_at = (
            first + timedelta(days=rng.randrange(1, 120)) if rng.random() < 0.15 * voids else None
        )
        patient = rng.choice(people)
        invoice = _invoice(
            practice, patient, f"R-{n}", issued.isoformat(), due.isoformat(), voided_at=voided_at
        )
        entries = [("charge", rng.randrange(1000, 50000), first)]
        for _ in range(rng.randrange(6)):
            at = first + timedelta(minutes=rng.randrange(60 * 24 * 200))
            entries.append((rng.choice(MOVES), rng.randrange(100, 20000), at))
        for kind, amount, at in entries:
            _entry(invoice, kind, amount, at.isoformat(sep=" "))
        book.append((invoice, patient, entries))
    db.session.commit()
    return practice, book


def _bucket(due: date, as_of: date) -> int:
    age = (as_of - due).days
    return sum(1 for floor in FLOORS if age >= floor)


def _expected(practice, book, as_of: date):
    """Buckets, patient totals and counted invoices as of `as_of`, by summing entries."""
    cutoff = day_starts(practice.timezone, as_of + timedelta(days=1))
    buckets = [[0, 0] for _ in BUCKETS]
    patients = defaultdict(int)
    for invoice, patient, entries in book:
        if invoice.issued_on > as_of or (invoice.voided_at and invoice.voided_at < cutoff):
            continue
        balance = sum(SIGNS[kind] * amount for kind, amount, at in entries if at < cutoff)
        if balance > 0:
            index = _bucket(invoice.due_on, as_of)
            buckets[index][0] += balance
            buckets[index][1] += 1
            patients[patient.id] += balance
    return [tuple(b) for b in buckets], dict(patients)


def _period_sums(practice, book, as_of: date):
    period = period_ending(as_of)
    start = day_starts(practice.timezone, period.first_day)
    end = day_starts(practice.timezone, as_of + timedelta(days=1))
    sums = defaultdict(int)
    for invoice, _patient, entries in book:
        if invoice.issued_on > as_of or (invoice.voided_at and invoice.voided_at < end):
            continue
        for kind, amount, at in entries:
            if start <= at < end:
                sums[kind] += amount
    return sums["charge"], sums["payment"], sums["refund"]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_reports_equal_the_ledger_sums_on_a_random_book(app, seed):
    practice, book = _random_book(seed)
    for as_of in (D, D - timedelta(days=45), date(2026, 9, 1), date(2027, 6, 1)):
        report = period_report.report(practice, as_of)
        buckets, patients = _expected(practice, book, as_of)
        aged = report.aging
        assert [(b.amount_minor, b.invoices) for b in aged.buckets] == buckets
        assert {p.patient_id: p.total_minor for p in aged.patients} == patients
        assert aged.patient_count == len(patients)
        first_day = period_ending(as_of).first_day
        beginning, _ = _expected(practice, book, first_day - timedelta(days=1))
        figures = report.figures
        assert figures.receivables_begin_minor == sum(amount for amount, _ in beginning)
        assert figures.receivables_end_minor == sum(amount for amount, _ in buckets)
        assert figures.current_end_minor == buckets[0][0]
        sums = (figures.charges_minor, figures.payments_minor, figures.refunds_minor)
        assert sums == _period_sums(practice, book, as_of)


class Statements:
    def __init__(self):
        self.count = 0

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args):
        self.count += 1


@pytest.mark.parametrize(
    ("voids", "statements"),
    [
        # whether the patients' kept totals hold, the buckets, the largest patients, the aging
        # at the start, the period's sums, the steps
        (False, 6),
        # void invoices with a balance left: the aging and its patients in one statement
        (True, 5),
    ],
)
def test_the_reports_page_is_a_fixed_number_of_statements(app, voids, statements):
    practice, _book = _random_book(5, voids)
    db.session.refresh(practice)
    with Statements() as few:
        period_report.report(practice, LATER, patient_limit=100)
    _random_book(6)  # another practice's invoices change nothing
    for n in range(20):
        factories.invoice(factories.patient(practice), number=f"More-{n}")
    db.session.refresh(practice)
    with Statements() as more:
        report = period_report.report(practice, LATER, patient_limit=100)
    assert (few.count, more.count) == (statements, statements)
    assert report.aging.invoices > 20


#: each filter, and the statements asked before the page: on SQLite bounded counts (its search
#: tables and due-date index have no statistics): an age range counts its invoices up to
#: `worklist.MANY`; a search word of three letters or more counts its matches in both search
#: tables. On PostgreSQL a search first sets its planning (`worklist_postgres.plan_each_time`)
#: and, for words of three letters or more, reads the list's first rows.
FILTERS = [
    ({}, 0, 0),
    (dict(after="2026-10-01.999999"), 0, 0),
    (dict(text="R-1"), 2, 2),
    (dict(text="P2 R-"), 0, 1),  # words under three letters: no probe, no first rows
    (dict(status="open"), 0, 0),
    (dict(age="1-30"), 1, 0),
    (dict(age="90+"), 1, 0),
    (dict(min_balance_minor=5000), 0, 0),
]


@pytest.mark.parametrize(("filters", "sqlite_probes", "postgres_probes"), FILTERS)
def test_a_staff_list_page_is_one_statement_with_the_balances(
    app, filters, sqlite_probes, postgres_probes
):
    practice, book = _random_book(7)
    practice_id = practice.id
    db.session.expire_all()
    with Statements() as seen:
        page = worklist.invoices(practice_id, today=D, limit=5, **filters)
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    probes = sqlite_probes if sqlite else postgres_probes
    assert seen.count == 1 + probes
    sums = {
        invoice.id: sum(SIGNS[kind] * amount for kind, amount, _at in entries)
        for invoice, _patient, entries in book
    }
    assert [row.balance_minor for row in page.rows] == [sums[r.invoice.id] for r in page.rows]


@pytest.mark.parametrize("seed", [8, 9, 10])
def test_the_kept_patient_totals_give_the_same_aging(app, seed):
    practice, book = _random_book(seed, voids=False)
    for n in range(6):  # more patients with open balances, some with equal totals
        patient = factories.patient(practice, last_name="Z")
        factories.invoice(patient, amounts=(5000 + n % 2,), number=f"Z-{n}")
    assert not aging_kept.kept_totals_hold(practice, D)  # entries after D in the book
    assert aging_kept.kept_totals_hold(practice, LATER)
    for limit in (1, 3, 100):
        kept = aging_kept.aging_from_kept_totals(practice, LATER, limit)
        assert kept == aging_report.aging(practice, LATER, limit)
        assert len(kept.patients) == min(limit, kept.patient_count)
    _, patients = _expected(practice, book, LATER)
    assert kept.patient_count == len(patients) + 6


def test_patient_totals_follow_payments_voids_and_moves(app):
    practice = factories.practice()
    first, second = factories.patient(practice), factories.patient(practice, first_name="Ada")
    invoice = factories.invoice(first, amounts=(10000,))
    other = factories.invoice(first, amounts=(3000,), number="B-2")
    ledger.post(other, "payment", 5000)  # an overpayment: -2000 counts as 0, not -2000
    db.session.commit()
    assert _open_totals(first, second) == (10000, 0)
    ledger.post(invoice, "payment", 2500)
    db.session.commit()
    assert _open_totals(first, second) == (7500, 0)
    invoice.patient_id = second.id
    db.session.commit()
    assert _open_totals(first, second) == (0, 7500)
    ledger.post(other, "dispute", 2500)
    db.session.commit()
    assert _open_totals(first, second) == (500, 7500)


def _open_totals(*patients):
    ids = [p.id for p in patients]
    found = dict(
        db.session.execute(
            db.select(Patient.id, Patient.open_balance_minor).where(Patient.id.in_(ids))
        ).all()
    )
    return tuple(found[i] for i in ids)
