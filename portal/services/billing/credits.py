"""Money that came in for an invoice already paid or void (a late SEPA success, a late
webhook): booked, then held as a credit on the invoice with an alert for staff, who give it
back with one click. The balance never goes below zero."""

from dataclasses import dataclass

from portal.clock import practice_today, utcnow
from portal.extensions import db
from portal.models import Alert, Invoice, LedgerEntry, Payment
from portal.models.alert import AlertKind
from portal.models.ledger import LedgerKind
from portal.services.billing import ledger
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.inserts import insert_once

ALERT = AlertKind.CREDIT_HELD


def hold(payment: Payment, amount_minor: int, actor: Actor) -> None:
    """Book `amount_minor` of `payment` as a credit and raise an alert (caller commits)."""
    invoice = payment.invoice
    ledger.post(invoice, LedgerKind.CREDIT, amount_minor, payment_id=payment.id)
    audit.record(
        "payment.credit_held",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        payment_id=payment.id,
        amount_minor=amount_minor,
        invoice_status=invoice.status,
    )
    raise_alert(invoice, ALERT, payment_id=payment.id, amount_minor=amount_minor)


def raise_alert(invoice: Invoice, kind: str, **data) -> None:
    """An alert for staff about money (a credit, a chargeback), once per invoice and day: a
    second one the same day is skipped, any other integrity error raises."""
    insert_once(
        Alert,
        ("invoice_id", "kind", "raised_on"),
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        kind=kind,
        raised_on=practice_today(invoice.practice),
        data={**data, "subject": f"{kind}:{data.get('payment_id')}"},
    )


def resolve_alerts(invoice: Invoice, kind: str, resolution: str) -> None:
    query = db.select(Alert).filter_by(invoice_id=invoice.id, kind=kind, resolved_at=None)
    for alert in db.session.scalars(query):
        alert.resolved_at = utcnow()
        alert.data = {**alert.data, "resolution": resolution}


@dataclass(frozen=True)
class Credit:
    payment: Payment
    amount_minor: int


def held(invoice: Invoice) -> list[Credit]:
    """Credits still held on the invoice: booked as credit and not refunded yet."""
    query = db.select(LedgerEntry).filter_by(invoice_id=invoice.id, kind=LedgerKind.CREDIT)
    result = []
    for entry in db.session.scalars(query.order_by(LedgerEntry.id)):
        payment = db.session.get(Payment, entry.payment_id)
        amount = min(entry.amount_minor, payment.refundable_minor)
        if amount > 0:
            result.append(Credit(payment, amount))
    return result
