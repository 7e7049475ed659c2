"""Money that came in for an invoice already settled: booked as a credit, one alert a day,
and held until it is refunded."""

from datetime import datetime

import pytest
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Alert, AuditEvent, LedgerEntry, Payment, Refund
from portal.services.billing import credits, ledger
from portal.services.core.audit import SYSTEM
from tests import factories


def settled_invoice():
    invoice = factories.invoice(factories.patient(factories.practice()), amounts=(8000,))
    return invoice


def late_payment(invoice, amount=8000, status="succeeded", intent="pi_late_1") -> Payment:
    payment = Payment(
        invoice_id=invoice.id,
        amount_minor=amount,
        currency=invoice.currency,
        method="card",
        status=status,
        stripe_payment_intent_id=intent,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def at(monkeypatch, moment):
    """The clock of the credit rules at `moment`, a time on the same day in UTC and Rome."""
    monkeypatch.setattr(credits, "utcnow", lambda: moment)
    monkeypatch.setattr("portal.clock.utcnow", lambda: moment)


def alerts():
    return db.session.scalars(db.select(Alert).order_by(Alert.id)).all()


def test_holding_books_the_credit_audits_it_and_raises_one_alert(app, monkeypatch):
    at(monkeypatch, datetime(2026, 12, 31, 12, 0))
    invoice = settled_invoice()
    payment = late_payment(invoice)
    ledger.post(invoice, "payment", 8000, payment_id=payment.id)
    credits.hold(payment, 8000, SYSTEM)
    db.session.flush()
    kinds = db.session.execute(
        db.select(LedgerEntry.kind, LedgerEntry.amount_minor).order_by(LedgerEntry.id)
    ).all()
    assert [tuple(k) for k in kinds] == [("charge", 8000), ("payment", -8000), ("credit", 8000)]
    assert ledger.balance(invoice.id) == 8000 - 8000 + 8000
    [event] = db.session.scalars(db.select(AuditEvent).filter_by(action="payment.credit_held"))
    assert event.data == {"payment_id": payment.id, "amount_minor": 8000, "invoice_status": "open"}
    [alert] = alerts()
    assert (alert.kind, alert.raised_on.isoformat(), alert.resolved_at) == (
        "credit_held",
        "2026-12-31",
        None,
    )
    assert alert.data == {
        "payment_id": payment.id,
        "amount_minor": 8000,
        "subject": f"credit_held:{payment.id}",
    }


def test_a_second_alert_the_same_day_is_not_raised_but_the_next_day_is(app, monkeypatch):
    invoice = settled_invoice()
    first, second = late_payment(invoice), late_payment(invoice, 500, intent="pi_late_2")
    at(monkeypatch, datetime(2026, 2, 28, 12, 0))
    credits.raise_alert(invoice, "credit_held", payment_id=first.id, amount_minor=8000)
    credits.raise_alert(invoice, "credit_held", payment_id=second.id, amount_minor=500)
    assert len(alerts()) == 1
    at(monkeypatch, datetime(2026, 3, 1, 12, 0))
    credits.raise_alert(invoice, "credit_held", payment_id=second.id, amount_minor=500)
    assert [(a.raised_on.isoformat(), a.data["payment_id"]) for a in alerts()] == [
        ("2026-02-28", first.id),
        ("2026-03-01", second.id),
    ]
    # the refused insert rolled back only itself: the payments are still there
    assert db.session.get(Payment, second.id) is not None


def test_an_alert_breaking_another_rule_than_once_a_day_is_not_swallowed(app, monkeypatch):
    invoice = settled_invoice()
    payment = late_payment(invoice)
    at(monkeypatch, datetime(2026, 2, 28, 12, 0))
    with pytest.raises(IntegrityError, match=r"(?i)check"):
        credits.raise_alert(invoice, "no_such_kind", payment_id=payment.id)
    db.session.rollback()
    assert alerts() == []


def test_resolving_closes_only_open_alerts_of_that_kind(app, monkeypatch):
    invoice = settled_invoice()
    payment = late_payment(invoice)
    at(monkeypatch, datetime(2026, 3, 28, 12, 0))
    credits.raise_alert(invoice, "credit_held", payment_id=payment.id)
    credits.raise_alert(invoice, "stripe_dispute", payment_id=payment.id)
    moment = datetime(2026, 3, 29, 2, 30)
    at(monkeypatch, moment)
    credits.resolve_alerts(invoice, "credit_held", "refunded")
    by_kind = {a.kind: a for a in alerts()}
    assert by_kind["credit_held"].resolved_at == moment
    assert by_kind["credit_held"].data["resolution"] == "refunded"
    assert by_kind["stripe_dispute"].resolved_at is None


def test_held_credits_shrink_by_refunds_and_vanish_when_refunded(app):
    invoice = settled_invoice()
    payment = late_payment(invoice, 8000)
    ledger.post(invoice, "credit", 8000, payment_id=payment.id)
    db.session.flush()
    assert credits.held(invoice) == [credits.Credit(payment, 8000)]
    refund = Refund(payment_id=payment.id, amount_minor=2999, currency="EUR", reason="part")
    db.session.add(refund)
    db.session.flush()
    db.session.refresh(payment)
    assert credits.held(invoice) == [credits.Credit(payment, 5001)]  # a pending refund holds too
    db.session.add(
        Refund(
            payment_id=payment.id,
            amount_minor=5000,
            currency="EUR",
            reason="rest",
            status="succeeded",
        )
    )
    db.session.flush()
    db.session.refresh(payment)
    assert credits.held(invoice) == [credits.Credit(payment, 1)]  # down to the cent
    refund.status = "failed"
    db.session.flush()
    db.session.refresh(payment)
    assert credits.held(invoice) == [credits.Credit(payment, 3000)]


def test_a_credit_is_never_more_than_its_entry_and_only_credits_count(app):
    invoice = settled_invoice()
    big = late_payment(invoice, 9000, intent="pi_big")
    ledger.post(invoice, "credit", 1200, payment_id=big.id)  # part of a larger payment
    ledger.post(invoice, "payment", 9000, payment_id=big.id)
    failed = late_payment(invoice, 700, status="failed", intent="pi_failed")
    ledger.post(invoice, "credit", 700, payment_id=failed.id)
    db.session.flush()
    assert credits.held(invoice) == [credits.Credit(big, 1200)]
    assert credits.held(settled_invoice()) == []
