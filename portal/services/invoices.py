"""Creating invoices and summarising what a patient owes on one."""

from dataclasses import dataclass
from datetime import date

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Invoice, InvoiceLine, Patient
from portal.services import audit, ledger
from portal.services.audit import Actor


class InvalidInvoice(ValueError):
    pass


@dataclass(frozen=True)
class LineInput:
    service_date: date
    description: str
    charged_minor: int
    insurance_paid_minor: int = 0
    adjustment_minor: int = 0
    procedure_code: str | None = None

    @property
    def patient_share_minor(self) -> int:
        return self.charged_minor - self.insurance_paid_minor - self.adjustment_minor


def create_invoice(
    patient: Patient,
    *,
    number: str,
    issued_on: date,
    due_on: date,
    lines: list[LineInput],
    actor: Actor,
) -> Invoice:
    """Create an open invoice and post the patient's share to the ledger as one charge."""
    _validate(lines, issued_on, due_on)
    practice = patient.practice
    invoice = Invoice(
        practice_id=practice.id,
        patient_id=patient.id,
        number=number,
        currency=practice.currency,
        issued_on=issued_on,
        due_on=due_on,
    )
    for position, line in enumerate(lines, start=1):
        invoice.lines.append(
            InvoiceLine(
                position=position,
                service_date=line.service_date,
                procedure_code=line.procedure_code,
                description=line.description,
                charged_minor=line.charged_minor,
                insurance_paid_minor=line.insurance_paid_minor,
                adjustment_minor=line.adjustment_minor,
                patient_share_minor=line.patient_share_minor,
            )
        )
    db.session.add(invoice)
    db.session.flush()
    share = sum(line.patient_share_minor for line in lines)
    if share:
        ledger.post(invoice, "charge", share, memo=f"Invoice {number}")
    audit.record("invoice.created", practice_id=practice.id, invoice_id=invoice.id, actor=actor)
    return invoice


def _validate(lines: list[LineInput], issued_on: date, due_on: date) -> None:
    if not lines:
        raise InvalidInvoice("an invoice needs at least one line")
    if due_on < issued_on:
        raise InvalidInvoice("the due date is before the issue date")
    for line in lines:
        amounts = (line.charged_minor, line.insurance_paid_minor, line.adjustment_minor)
        if any(not isinstance(a, int) or a < 0 for a in amounts):
            raise InvalidInvoice("amounts are non-negative integers of minor units")
        if line.patient_share_minor < 0:
            raise InvalidInvoice("insurance and adjustments exceed the charge")
        if not line.description.strip():
            raise InvalidInvoice("every line needs a description")


@dataclass(frozen=True)
class InvoiceSummary:
    charged_minor: int
    insurance_paid_minor: int
    adjustment_minor: int
    patient_share_minor: int
    paid_minor: int
    credits_minor: int
    balance_minor: int


def summarize(invoice: Invoice) -> InvoiceSummary:
    """Line totals from the invoice, money received and balance from the ledger."""
    paid = ledger.total_of(invoice.id, "payment") - ledger.total_of(invoice.id, "refund")
    return InvoiceSummary(
        charged_minor=sum(line.charged_minor for line in invoice.lines),
        insurance_paid_minor=sum(line.insurance_paid_minor for line in invoice.lines),
        adjustment_minor=sum(line.adjustment_minor for line in invoice.lines),
        patient_share_minor=sum(line.patient_share_minor for line in invoice.lines),
        paid_minor=paid,
        credits_minor=ledger.total_of(
            invoice.id, "discount", "adjustment", "settlement", "write_off"
        ),
        balance_minor=ledger.balance(invoice.id),
    )


def settle_if_paid(invoice: Invoice, actor: Actor) -> bool:
    """Move an open invoice to paid once its balance reaches zero; True if it moved."""
    if invoice.status != "open" or ledger.balance(invoice.id) > 0:
        return False
    invoice.status = "paid"
    invoice.paid_at = utcnow()
    audit.record(
        "invoice.paid", practice_id=invoice.practice_id, invoice_id=invoice.id, actor=actor
    )
    return True
