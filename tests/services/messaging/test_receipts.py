"""The payment confirmation: recorded once with the payment, sent once by the worker in the
patient's language with the moment of payment on the practice's clock, and naming the card
that paid a payment booked from a Stripe event (read from Stripe before sending)."""

from datetime import datetime

import pytest

from portal.extensions import db
from portal.models import Delivery, PendingWork
from portal.services.billing import money
from portal.services.core import outbox
from portal.services.core.audit import SYSTEM
from portal.services.messaging import receipts
from tests import factories
from tests.services.billing.test_money_ops import paid_by_card

#: nothing here differs by database
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def receipt_rows() -> list[tuple]:
    rows = db.session.scalars(
        db.select(Delivery).filter_by(purpose="receipt").order_by(Delivery.id)
    )
    return [(d.recipient, d.locale, d.status, d.subject, d.payload) for d in rows]


def lines_of(payment) -> list[str]:
    delivery = db.session.scalars(
        db.select(Delivery).filter_by(purpose="receipt", invoice_id=payment.invoice_id)
    ).one()
    return delivery.body.splitlines()


def desk_payment(practice, amount_minor, method, at, **patient):
    invoice = factories.invoice(factories.patient(practice, **patient), (12000, 3450))
    payment = money.record_desk_payment(invoice, amount_minor, method, SYSTEM)
    payment.succeeded_at = at
    db.session.commit()
    return payment


def test_one_confirmation_per_payment_dated_on_the_practices_clock(app):
    # 23:30 UTC on 31 December: 00:30 on 1 January in Rome, 18:30 on 31 December in New York
    at = datetime(2026, 12, 31, 23, 30)
    rome = desk_payment(factories.practice(), 5000, "cash", at)
    new_york = desk_payment(
        factories.practice(name="Maple Family Dental", **factories.USA),
        15450,
        "card_terminal",
        at,
        locale="en",
        email="john@example.org",
        first_name="John",
    )
    receipts.send_receipt(rome)  # recorded with the payment already: a replay adds nothing
    db.session.commit()
    assert db.session.scalars(db.select(PendingWork.dedupe_key).order_by(PendingWork.id)).all() == [
        f"receipt:payment:{rome.id}",
        f"receipt:payment:{new_york.id}",
    ]
    assert outbox.run_pending() == 2
    assert outbox.run_pending() == 0
    assert receipt_rows() == [
        (
            "giulia@example.org",
            "it",
            "sent",
            "Pagamento ricevuto – Studio Dentistico Rossi",
            {"payment_id": rome.id},
        ),
        (
            "john@example.org",
            "en",
            "sent",
            "Payment received – Maple Family Dental",
            {"payment_id": new_york.id},
        ),
    ]
    assert lines_of(rome)[4:9] == [
        "Importo: 50,00\xa0€",
        "Data: 1° gen 2027, 00:30 CET",
        "Metodo di pagamento: Contanti",
        f"Numero ricevuta: {rome.receipt_number}",
        "Fattura: 2026-0001",
    ]
    assert lines_of(new_york)[4:9] == [
        "Amount: $154.50",
        "Date: Dec 31, 2026, 6:30\u202fPM EST",
        "Method: Card terminal",
        f"Receipt number: {new_york.receipt_number}",
        "Invoice: 2026-0001",
    ]


@pytest.mark.stripe
def test_a_payment_booked_from_stripe_names_its_card_or_only_its_kind(stripe_app):
    _invoice, known = paid_by_card(stripe_app, amounts=(5000,))
    _invoice, unknown = paid_by_card(stripe_app, amounts=(7000,))
    # booked from a Stripe event: no label yet; Stripe no longer knows the second method
    known.method_label = unknown.method_label = None
    unknown.stripe_payment_method_id = "pm_deleted_since"
    db.session.commit()
    assert outbox.run_pending() == 2
    assert (known.method_label, unknown.method_label) == ("Visa •••• 4242", None)
    assert lines_of(known)[4] == "Amount: €50.00"
    assert lines_of(known)[6] == "Method: Visa •••• 4242"
    assert lines_of(unknown)[4] == "Amount: €70.00"
    assert lines_of(unknown)[6] == "Method: Card"
    assert [status for _to, _locale, status, _subject, _refs in receipt_rows()] == ["sent", "sent"]
