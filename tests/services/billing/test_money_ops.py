"""Refunds through Stripe and at the desk: the ledger, the invoice and the receipt follow."""

import pytest

from portal.extensions import db
from portal.models import LedgerEntry, Refund
from portal.services.billing import ledger, money, receipts
from portal.services.billing.money import MoneyRefused
from portal.services.core.audit import SYSTEM, Actor
from portal.services.payments import saved_methods
from tests import factories
from tests.services.payments.test_payments import PATIENT, saved_card
from tests.support import stripe_js
from tests.support.pdf import pdf_text
from tests.web.staff_client import make_staff


def staff_actor(practice):
    return Actor("staff", str(make_staff(practice, "billing").id), "127.0.0.1")


def paid_by_card(app, amounts=(12000, 3450)):
    invoice, _ = factories.invoice_with_link(amounts=amounts, locale="en")
    seti, _ = saved_card(app, invoice, "4242424242424242")
    return invoice, saved_methods.pay_in_full(invoice, seti, PATIENT).payment


@pytest.mark.stripe
def test_partial_stripe_refund_as_a_price_correction(stripe_app):
    invoice, payment = paid_by_card(stripe_app)
    staff = staff_actor(invoice.practice)
    refund = money.refund(payment, 3450, "crown not needed", staff)
    assert (refund.status, refund.amount_minor, refund.staff_id) == (
        "succeeded",
        3450,
        int(staff.ref),
    )
    stripe_refund = stripe_js.get(
        stripe_app.config["STRIPE_API_BASE"], f"/v1/refunds/{refund.stripe_refund_id}"
    )
    assert (stripe_refund["amount"], stripe_refund["status"]) == (3450, "succeeded")
    assert ledger.balance(invoice.id) == 0 and invoice.status == "paid"
    assert payment.refundable_minor == 12000
    text = pdf_text(receipts.render_pdf(payment, "en"))
    assert "Refunded on" in text and "−€34.50" in text


@pytest.mark.stripe
def test_refund_that_reopens_the_balance(stripe_app):
    invoice, payment = paid_by_card(stripe_app, amounts=(5000,))
    money.refund(payment, 5000, "paid by insurance instead", SYSTEM, reduce_balance=False)
    assert ledger.balance(invoice.id) == 5000
    assert invoice.status == "open"
    with pytest.raises(MoneyRefused):
        money.refund(payment, 1, "again", SYSTEM)


@pytest.mark.stripe
def test_refund_cannot_exceed_what_was_paid(stripe_app):
    _, payment = paid_by_card(stripe_app, amounts=(5000,))
    with pytest.raises(MoneyRefused):
        money.refund(payment, 5001, "too much", SYSTEM)
    with pytest.raises(MoneyRefused):
        money.refund(payment, 100, "   ", SYSTEM)
    assert db.session.scalars(db.select(Refund)).all() == []


def test_desk_payment_and_cash_refund(app):
    invoice = factories.invoice(factories.patient(factories.practice()), amounts=(8000,))
    payment = money.record_desk_payment(invoice, 8000, "cash", SYSTEM, "paid at reception")
    assert invoice.status == "paid" and payment.receipt_number == f"{invoice.number}-{payment.id}"
    money.refund(payment, 2000, "overcharged", SYSTEM)
    assert ledger.balance(invoice.id) == 0
    kinds = db.session.scalars(
        db.select(LedgerEntry.kind).filter_by(invoice_id=invoice.id).order_by(LedgerEntry.id)
    ).all()
    assert kinds == ["charge", "payment", "refund", "adjustment"]


@pytest.mark.parametrize("amount", [0, -100, 10.5, True])
def test_desk_amounts_must_be_positive_integers(app, amount):
    invoice = factories.invoice(factories.patient(factories.practice()), amounts=(8000,))
    with pytest.raises(MoneyRefused):
        money.record_desk_payment(invoice, amount, "cash", SYSTEM)
    assert ledger.balance(invoice.id) == 8000


def test_write_off_settles_and_void_closes(app):
    practice = factories.practice()
    invoice = factories.invoice(factories.patient(practice), amounts=(8000,))
    money.write_off(invoice, 8000, "hardship", SYSTEM)
    db.session.commit()
    assert ledger.balance(invoice.id) == 0 and invoice.status == "paid"
    other = factories.invoice(invoice.patient, amounts=(500,), number="2026-0002")
    money.void(other, "duplicate", SYSTEM)
    db.session.commit()
    assert (other.status, ledger.balance(other.id)) == ("void", 0)
    with pytest.raises(MoneyRefused):
        money.write_off(other, 1, "x", SYSTEM)
