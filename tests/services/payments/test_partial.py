"""Paying part of a balance against localstripe: the amount is checked against the balance
and the practice's minimum, then booked like any payment."""

import pytest
from flask_babel import force_locale

from portal.extensions import db
from portal.models import LedgerEntry, Payment
from portal.services.billing import ledger
from portal.services.core.audit import Actor
from portal.services.payments import partial, saved_methods
from portal.services.payments.partial import PartialRefused
from portal.services.payments.payments import PaymentRefused
from tests import factories
from tests.services.payments.test_payments import saved_card

pytestmark = pytest.mark.stripe
PATIENT = Actor("patient", "link:test", "127.0.0.1")


def owing(minimum):
    invoice, _ = factories.invoice_with_link(amounts=(12000, 3450))  # €154.50
    invoice.practice.partial_payment_minimum_minor = minimum
    db.session.commit()
    return invoice


def saved(app, invoice):
    seti, _ = saved_card(app, invoice, "4242424242424242")
    return saved_methods.saved_method(invoice, seti)


def test_part_of_the_balance_is_booked_and_the_rest_stays_due(stripe_app):
    invoice = owing(2000)
    outcome = partial.pay_part(invoice, saved(stripe_app, invoice), 5000, PATIENT)
    assert outcome.status == "succeeded"
    payment = outcome.payment
    assert (payment.amount_minor, payment.purpose, payment.method) == (5000, "partial", "card")
    assert payment.receipt_number == f"{invoice.number}-{payment.id}"
    assert ledger.balance(invoice.id) == 10450
    assert invoice.status == "open"
    entries = db.session.scalars(
        db.select(LedgerEntry.amount_minor).filter_by(invoice_id=invoice.id, kind="payment")
    ).all()
    assert entries == [-5000]
    # the rest, below the minimum or not, may be paid off part by part down to zero
    last = partial.pay_part(invoice, saved(stripe_app, invoice), 10450, PATIENT)
    assert last.status == "succeeded"
    assert ledger.balance(invoice.id) == 0
    assert invoice.status == "paid"


@pytest.mark.parametrize(
    ("amount", "reason", "english", "italian"),
    [
        (1999, "too_small", "Enter at least €20.00.", "Inserisca almeno 20,00\xa0€."),
        (
            15451,
            "too_large",
            "Enter at most the balance due, €154.50.",
            "Inserisca al massimo l'importo dovuto, 154,50\xa0€.",
        ),
    ],
)
def test_amounts_outside_the_rules_are_refused_in_the_patient_language(
    app, amount, reason, english, italian
):
    invoice = owing(2000)
    for locale, message in (("en", english), ("it", italian)):
        with force_locale(locale), pytest.raises(PartialRefused) as refused:
            partial.check_amount(invoice, amount)
        assert (refused.value.reason, refused.value.message) == (reason, message)
    assert db.session.scalars(db.select(Payment)).all() == []
    assert ledger.balance(invoice.id) == 15450


def test_a_balance_below_the_minimum_may_be_paid_whole_and_not_less(app):
    invoice = owing(20000)  # the minimum is above the €154.50 owed
    rules = partial.check_amount(invoice, 15450)
    assert (rules.minimum_minor, rules.balance_minor, rules.smallest_minor) == (
        20000,
        15450,
        15450,
    )
    with force_locale("en"), pytest.raises(PartialRefused) as refused:
        partial.check_amount(invoice, 15449)
    assert refused.value.message == "Enter at least €154.50."


def test_practices_without_the_setting_take_no_partial_payments(app):
    invoice = owing(None)
    assert partial.rules_for(invoice, 15450) is None
    with force_locale("en"), pytest.raises(PartialRefused) as refused:
        partial.check_amount(invoice, 5000)
    assert (refused.value.reason, refused.value.message) == (
        "off",
        "This practice does not accept partial payments.",
    )


def test_a_balance_that_fell_below_the_amount_asks_again(stripe_app):
    invoice = owing(2000)
    method = saved(stripe_app, invoice)
    ledger.post(invoice, "adjustment", 10000)  # the practice took €100.00 off meanwhile
    db.session.commit()
    with pytest.raises(PaymentRefused) as refused:
        partial.pay_part(invoice, method, 10000, PATIENT)
    assert (refused.value.reason, refused.value.detail) == ("amount_changed", "5450")
    assert db.session.scalars(db.select(Payment)).all() == []
