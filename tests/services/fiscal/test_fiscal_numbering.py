"""Health invoice numbers: progressive per practice, kind and year, with no gaps and no
duplicates, also when separate processes issue at the same time."""

import os
from datetime import date, datetime
from pathlib import Path

from portal.extensions import db
from portal.models import FiscalCounter, FiscalDocument, Payment
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import documents, numbering
from tests import factories
from tests import fiscal_factories as ff
from tests.support import forks

ROOT = Path(__file__).resolve().parents[3]
PROCESSES = 4
PAYMENTS = 12


def _payments(practice, count, first_number=1):
    patient = ff.patient_with_cf(practice)
    ids = []
    for i in range(count):
        invoice = factories.invoice(patient, amounts=(5000,), number=f"2027-{first_number + i:04d}")
        ids.append(ff.paid(invoice, 5000, at=datetime(2027, 1, 10, 9)).id)
    return ids


def test_concurrent_processes_number_without_gaps_or_duplicates(app, database_url):
    practice = ff.italian_practice()
    ids = _payments(practice, PAYMENTS)
    other = ff.italian_practice()
    other_ids = _payments(other, 3, first_number=100)
    db.session.commit()
    # every process issues every payment, in a different order: each payment is wanted by
    # all of them at once, so both the counter and the one-document-per-payment guard race
    orders = [ids[k:] + ids[:k] + other_ids for k in range(0, PAYMENTS, PAYMENTS // PROCESSES)]
    # each a process of its own, forked from one booted parent (as gunicorn forks workers)
    script = (ROOT / "tests" / "support" / "fiscal_worker.py").read_text()
    with forks.Forker({**os.environ, "SALDO_ENV": "test"}) as forker:
        workers = [
            forker.start(["fiscal_worker", database_url, *map(str, order)], script)
            for order in orders
        ]
        results = [worker.communicate(timeout=300) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * PROCESSES, [r[1] for r in results]
    db.session.expire_all()
    issued = db.session.scalars(
        db.select(FiscalDocument).filter_by(practice_id=practice.id).order_by(FiscalDocument.number)
    ).all()
    assert [d.number for d in issued] == list(range(1, PAYMENTS + 1))
    assert sorted(d.payment_id for d in issued) == sorted(ids)
    assert {d.year for d in issued} == {2027}
    # every process saw the same number for the same payment
    seen = {}
    for out, _ in results:
        for row in out.strip().splitlines():
            payment_id, number = map(int, row.split())
            seen.setdefault(payment_id, set()).add(number)
    assert all(len(numbers) == 1 for numbers in seen.values())
    others = db.session.scalars(
        db.select(FiscalDocument.number)
        .filter_by(practice_id=other.id)
        .order_by(FiscalDocument.number)
    ).all()
    assert others == [1, 2, 3]
    counter = db.session.get(FiscalCounter, (practice.id, "invoice", 2027))
    assert counter.last_number == PAYMENTS


def test_a_rolled_back_number_is_given_back(app):
    practice = ff.italian_practice()
    db.session.commit()
    assert numbering.allocate(practice.id, "invoice", 2027) == 1
    db.session.rollback()
    assert numbering.allocate(practice.id, "invoice", 2027) == 1
    assert numbering.allocate(practice.id, "invoice", 2027) == 2
    db.session.commit()
    assert numbering.allocate(practice.id, "invoice", 2028) == 1
    assert numbering.allocate(practice.id, "credit_note", 2027) == 1
    db.session.commit()


def test_numbers_restart_each_year_and_credit_notes_have_their_own(app):
    practice = ff.italian_practice()
    ids = _payments(practice, 3)
    payments = [db.session.get(Payment, i) for i in ids]
    first = documents.issue_invoice(payments[0], SYSTEM, today=date(2026, 12, 31))
    second = documents.issue_invoice(payments[1], SYSTEM, today=date(2027, 1, 1))
    third = documents.issue_invoice(payments[2], SYSTEM, today=date(2027, 1, 2))
    note = documents.issue_credit_note(
        ff.refunded(payments[2], 1000), SYSTEM, today=date(2027, 1, 3)
    )
    assert [first.label, second.label, third.label, note.label] == [
        "1/2026",
        "1/2027",
        "2/2027",
        "NC 1/2027",
    ]
    assert documents.issue_invoice(payments[1], SYSTEM).id == second.id
