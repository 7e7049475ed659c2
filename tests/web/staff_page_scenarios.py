"""Staff invoice and patient pages with something in every section, built straight into the
database: payments with refunds, a chargeback and a held credit, fiscal documents, settlement
offers, plans, a hold with reminders and calls, a locked link and messages."""

from datetime import date, datetime, timedelta

from portal.extensions import db
from portal.models import (
    CallTask,
    ConsentRecord,
    Delivery,
    Dispute,
    Payment,
    ReminderLog,
    SettlementOffer,
)
from portal.services.access import links
from portal.services.billing import ledger
from portal.services.collections import holds
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import documents
from tests import factories, fiscal_factories
from tests.web import bill_scenarios

AT = datetime(2026, 11, 20, 9, 30)


def build(count: int = 1, country: str = "IT") -> int:
    """An open invoice with `count` of each repeated thing (payments, refunds, fiscal
    documents, offers, plans, reminders, calls, messages); returns its id. Call inside an app
    context."""
    if country == "IT":
        practice = fiscal_factories.italian_practice()
        patient = fiscal_factories.patient_with_cf(practice)
    else:
        practice = fiscal_factories.us_practice()
        patient = factories.patient(practice, locale="en")
    invoice = factories.invoice(patient, (50000, 3450))
    for n in range(count):
        payment = fiscal_factories.paid(invoice, 1000 + n, at=AT + timedelta(minutes=n))
        refund = fiscal_factories.refunded(payment, 100, at=AT + timedelta(minutes=n, seconds=30))
        if country == "IT":
            documents.issue_invoice(payment, SYSTEM, today=date(2026, 11, 20))
            if n % 2:
                documents.issue_credit_note(refund, SYSTEM, today=date(2026, 11, 21))
        _offer(invoice, "withdrawn", n)
        bill_scenarios._plan(invoice, "cancelled")
        _collections(invoice, n)
        _delivery(invoice, n)
        db.session.add(
            ConsentRecord(
                patient_id=patient.id,
                channel="email",
                granted=n % 2 == 0,
                source="staff",
                text_shown=f"Consent text {n}",
                created_at=AT,
            )
        )
    fiscal_factories.paid(invoice, 2500, method="cash", at=AT + timedelta(hours=1))
    _dispute(invoice)
    _offer(invoice, "open", count)
    link, _ = links.issue(invoice, SYSTEM)
    link.locked_at, link.failed_checks = AT, 5
    holds.set_hold(invoice, "hold", "Patient asked for time", SYSTEM)
    db.session.commit()
    return invoice.id


def _offer(invoice, status: str, n: int) -> None:
    db.session.add(
        SettlementOffer(
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            amount_minor=20000 + n,
            expires_on=date(2026, 12, 1) + timedelta(days=n),
            status=status,
        )
    )


def _collections(invoice, n: int) -> None:
    db.session.add(
        ReminderLog(
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            position=n + 1,
            channel="email",
            sent_on=date(2026, 11, 10) + timedelta(days=n),
            status="sent",
        )
    )
    db.session.add(
        CallTask(
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            patient_id=invoice.patient_id,
            due_on=date(2026, 11, 15) + timedelta(days=n),
            position=n + 1,
            note=f"Call {n}",
        )
    )


def _delivery(invoice, n: int) -> None:
    db.session.add(
        Delivery(
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            purpose="link",
            channel="email",
            recipient="giulia@example.org",
            locale="it",
            subject=f"Message {n}",
            body="…",
            status="sent",
            sent_at=AT,
            created_at=AT + timedelta(minutes=n),
        )
    )


def _dispute(invoice) -> None:
    """A chargeback on the last payment, and a credit held on it after the invoice settled."""
    payment = db.session.scalars(
        db.select(Payment).filter_by(invoice_id=invoice.id).order_by(Payment.id.desc())
    ).first()
    db.session.add(
        Dispute(
            payment_id=payment.id,
            stripe_dispute_id=f"dp_{payment.id}",
            amount_minor=500,
            currency=invoice.currency,
            status="needs_response",
        )
    )
    ledger.post(invoice, "credit", 300, payment_id=payment.id)
