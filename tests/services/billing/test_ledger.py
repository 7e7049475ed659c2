"""The ledger: balances are sums, entries are never edited."""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import LedgerEntry
from portal.models.ledger import LedgerIsAppendOnly
from portal.services.billing import invoices, ledger
from tests import factories


def test_invoice_posts_patient_share_as_one_charge(app):
    patient = factories.patient(factories.practice())
    invoice = factories.invoice(patient, amounts=(12000, 3450))
    entries = db.session.scalars(db.select(LedgerEntry)).all()
    assert [(e.kind, e.amount_minor, e.currency) for e in entries] == [("charge", 15450, "EUR")]
    assert ledger.balance(invoice.id) == 15450


def test_balance_is_the_signed_sum(app):
    invoice = factories.invoice(factories.patient(factories.practice()), amounts=(10000,))
    ledger.post(invoice, "payment", 2500)
    ledger.post(invoice, "refund", 1000)
    ledger.post(invoice, "discount", 500)
    db.session.commit()
    assert ledger.balance(invoice.id) == 10000 - 2500 + 1000 - 500
    summary = invoices.summarize(invoice)
    assert (summary.paid_minor, summary.credits_minor, summary.balance_minor) == (1500, 500, 8000)


def test_entries_cannot_be_changed_or_deleted(app):
    invoice = factories.invoice(factories.patient(factories.practice()))
    entry = db.session.scalars(db.select(LedgerEntry)).one()
    entry.amount_minor = 1
    with pytest.raises(LedgerIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.scalars(db.select(LedgerEntry)).one())
    with pytest.raises(LedgerIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert ledger.balance(invoice.id) == 15450


@pytest.mark.parametrize("amount", [0, -5, 12.5])
def test_amounts_must_be_positive_integers(app, amount):
    invoice = factories.invoice(factories.patient(factories.practice()))
    with pytest.raises(ValueError):
        ledger.post(invoice, "payment", amount)


def test_lines_that_do_not_add_up_are_refused(app):
    patient = factories.patient(factories.practice())
    line = invoices.LineInput(date(2026, 1, 1), "Crown", 1000, insurance_paid_minor=1200)
    with pytest.raises(invoices.InvalidInvoice):
        invoices.create_invoice(
            patient,
            number="X",
            issued_on=date(2026, 1, 1),
            due_on=date(2026, 2, 1),
            lines=[line],
            actor=factories.SYSTEM,
        )
    assert db.session.scalars(db.select(LedgerEntry)).all() == []


@settings(
    max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    charges=st.lists(st.integers(1, 10**7), min_size=1, max_size=5),
    moves=st.lists(
        st.tuples(
            st.sampled_from(["payment", "refund", "discount", "write_off"]), st.integers(1, 10**6)
        ),
        max_size=8,
    ),
)
def test_balance_matches_a_plain_sum(app, charges, moves):
    patient = factories.patient(factories.practice())
    invoice = factories.invoice(patient, amounts=tuple(charges))
    expected = sum(charges)
    for kind, amount in moves:
        ledger.post(invoice, kind, amount)
        expected += ledger.SIGNS[kind] * amount
    db.session.commit()
    assert ledger.balance(invoice.id) == expected
