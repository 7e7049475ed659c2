"""Every open bill of a verified patient at one practice, and moving the patient's session to
another of them without asking for the date of birth again."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func

from portal.extensions import db
from portal.models import Invoice, LedgerEntry, PaymentLink
from portal.models.invoice import InvoiceStatus
from portal.services.access import links
from portal.services.core.audit import Actor
from portal.services.messaging import linking


@dataclass(frozen=True)
class OpenBill:
    invoice: Invoice
    balance_minor: int
    current: bool


def of_patient(invoice: Invoice) -> list[OpenBill]:
    """The open invoices with a balance of `invoice`'s patient at its practice, oldest due
    first, with their balances (one statement for all of them)."""
    balance = func.coalesce(func.sum(LedgerEntry.amount_minor), 0)
    rows = db.session.execute(
        db.select(Invoice, balance)
        .outerjoin(LedgerEntry, LedgerEntry.invoice_id == Invoice.id)
        .where(
            Invoice.patient_id == invoice.patient_id,
            Invoice.practice_id == invoice.practice_id,
            Invoice.status == InvoiceStatus.OPEN,
        )
        .group_by(Invoice.id)
        .order_by(Invoice.due_on, Invoice.id)
    ).all()
    return [
        OpenBill(bill, int(amount), bill.id == invoice.id) for bill, amount in rows if amount > 0
    ]


def switch_to(
    current: PaymentLink, invoice_id: int, actor: Actor, now: datetime | None = None
) -> PaymentLink | None:
    """A link to another open bill of the same patient and practice for the verified
    session on `current` (the patient proved who they are already); None when `invoice_id`
    is not one of theirs. The invoice's other links keep working. The caller commits."""
    invoice = db.session.get(Invoice, invoice_id)
    mine = current.invoice
    if (
        invoice is None
        or invoice.patient_id != mine.patient_id
        or invoice.practice_id != mine.practice_id
        or invoice.status != InvoiceStatus.OPEN
    ):
        return None
    link, _token = linking.fresh_link(invoice, actor, now)
    link.verified_at = link.created_at
    links.mark_opened(link, actor, now=link.created_at)
    return link
