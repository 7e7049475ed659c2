"""The balance kept on each invoice equals the sum of its ledger entries, however written."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from portal.extensions import db
from portal.models import Invoice, LedgerEntry
from portal.services.billing import ledger
from tests import factories


def _kept(invoice_id: int) -> int:
    return db.session.scalar(db.select(Invoice.balance_minor).where(Invoice.id == invoice_id))


def test_a_new_invoice_keeps_its_charge(app):
    invoice = factories.invoice(factories.patient(factories.practice()), amounts=(12000, 3450))
    db.session.commit()
    assert _kept(invoice.id) == 15450


def test_a_bulk_insert_of_entries_updates_each_invoice_once(app):
    patient = factories.patient(factories.practice())
    first = factories.invoice(patient, amounts=(10000,))
    second = factories.invoice(patient, amounts=(5000,), number="B-2")
    db.session.commit()
    rows = [
        dict(invoice_id=i.id, kind=k, amount_minor=a, practice_id=i.practice_id, currency="EUR")
        for i, k, a in [(first, "payment", -2500), (first, "payment", -500), (second, "refund", 70)]
    ]
    db.session.execute(insert(LedgerEntry), rows)
    db.session.commit()
    assert (_kept(first.id), _kept(second.id)) == (7000, 5070)


KINDS = sorted(ledger.SIGNS)


@settings(
    max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    charges=st.lists(st.integers(1, 10**7), min_size=1, max_size=4),
    moves=st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(KINDS), st.integers(1, 10**6)),
        max_size=12,
    ),
    commit_every=st.integers(1, 4),
)
def test_kept_balance_is_the_ledger_sum(app, charges, moves, commit_every):
    """Charges, payments, refunds, adjustments, disputes and the rest, on three invoices,
    committed in batches: each invoice's kept balance is its ledger sum."""
    patient = factories.patient(factories.practice())
    bills = [factories.invoice(patient, amounts=tuple(charges), number=f"K-{n}") for n in range(3)]
    for step, (which, kind, amount) in enumerate(moves, start=1):
        ledger.post(bills[which], kind, amount)
        if step % commit_every == 0:
            db.session.commit()
    db.session.commit()
    for bill in bills:
        assert _kept(bill.id) == ledger.balance(bill.id)
