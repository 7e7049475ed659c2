"""Creating invoices and summarising what a patient owes on one."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Invoice, InvoiceLine, Patient
from portal.models.invoice import InvoiceStatus
from portal.models.ledger import LedgerKind
from portal.services.billing import ledger
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused


class InvalidInvoice(Refused, ValueError):
    code = RefusalCode.INVOICE


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
    draft: bool = False,
) -> Invoice:
    """Create an invoice; unless `draft`, issue it at once (see `issue`)."""
    _validate(lines, issued_on, due_on)
    practice = patient.practice
    number = number.strip()
    if not number:
        raise InvalidInvoice(_l("Enter an invoice number."))
    taken = db.select(Invoice.id).filter_by(practice_id=practice.id, number=number)
    if db.session.scalar(taken) is not None:
        raise InvalidInvoice(_l("Invoice number %(number)s is already used.", number=number))
    invoice = Invoice(
        practice_id=practice.id,
        patient_id=patient.id,
        number=number,
        currency=practice.currency,
        issued_on=issued_on,
        due_on=due_on,
        status=InvoiceStatus.DRAFT,
    )
    _set_lines(invoice, lines)
    db.session.add(invoice)
    db.session.flush()
    audit.record("invoice.created", practice_id=practice.id, invoice_id=invoice.id, actor=actor)
    if not draft:
        issue(invoice, actor)
    return invoice


def update_draft(
    invoice: Invoice, *, issued_on: date, due_on: date, lines: list[LineInput], actor: Actor
) -> None:
    """Replace a draft's dates and lines; issued invoices change only through the ledger."""
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvalidInvoice(_l("Only a draft can be edited."))
    _validate(lines, issued_on, due_on)
    invoice.issued_on, invoice.due_on = issued_on, due_on
    invoice.lines.clear()
    db.session.flush()
    _set_lines(invoice, lines)
    audit.record(
        "invoice.edited", practice_id=invoice.practice_id, invoice_id=invoice.id, actor=actor
    )


def issue(invoice: Invoice, actor: Actor) -> None:
    """Draft -> open: the patient's share is posted to the ledger as one charge."""
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvalidInvoice(_l("This invoice has already been issued."))
    share = sum(line.patient_share_minor for line in invoice.lines)
    invoice.status = InvoiceStatus.OPEN
    if share:
        ledger.post(invoice, LedgerKind.CHARGE, share, memo=f"Invoice {invoice.number}")
    audit.record(
        "invoice.issued", practice_id=invoice.practice_id, invoice_id=invoice.id, actor=actor
    )
    settle_if_paid(invoice, actor)


def line_values(line: LineInput) -> dict:
    """The columns of an `InvoiceLine` for `line` (its text trimmed, an empty code None)."""
    return dict(
        service_date=line.service_date,
        procedure_code=(line.procedure_code or "").strip() or None,
        description=line.description.strip(),
        charged_minor=line.charged_minor,
        insurance_paid_minor=line.insurance_paid_minor,
        adjustment_minor=line.adjustment_minor,
        patient_share_minor=line.patient_share_minor,
    )


def _set_lines(invoice: Invoice, lines: list[LineInput]) -> None:
    for position, line in enumerate(lines, start=1):
        invoice.lines.append(InvoiceLine(position=position, **line_values(line)))


def _validate(lines: list[LineInput], issued_on: date, due_on: date) -> None:
    if not lines:
        raise InvalidInvoice(_l("An invoice needs at least one line."))
    if due_on < issued_on:
        raise InvalidInvoice(_l("The due date is before the issue date."))
    for line in lines:
        amounts = (line.charged_minor, line.insurance_paid_minor, line.adjustment_minor)
        if any(not isinstance(a, int) or isinstance(a, bool) or a < 0 for a in amounts):
            raise InvalidInvoice(_l("Amounts cannot be negative."))
        if line.patient_share_minor < 0:
            raise InvalidInvoice(_l("Insurance and adjustments are more than the charge."))
        if not line.description.strip():
            raise InvalidInvoice(_l("Every line needs a description."))


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
    paid = ledger.total_of(invoice.id, LedgerKind.PAYMENT) - ledger.total_of(
        invoice.id, LedgerKind.REFUND
    )
    return InvoiceSummary(
        charged_minor=sum(line.charged_minor for line in invoice.lines),
        insurance_paid_minor=sum(line.insurance_paid_minor for line in invoice.lines),
        adjustment_minor=sum(line.adjustment_minor for line in invoice.lines),
        patient_share_minor=sum(line.patient_share_minor for line in invoice.lines),
        paid_minor=paid,
        credits_minor=ledger.total_of(
            invoice.id,
            LedgerKind.DISCOUNT,
            LedgerKind.ADJUSTMENT,
            LedgerKind.SETTLEMENT,
            LedgerKind.WRITE_OFF,
        ),
        balance_minor=ledger.balance(invoice.id),
    )


def reopen_if_owed(invoice: Invoice) -> bool:
    """Open a paid invoice again once something (a refund that reduced the balance failed, a
    chargeback) makes it owed; True if it moved (the caller audits why)."""
    if invoice.status != InvoiceStatus.PAID or ledger.balance(invoice.id) <= 0:
        return False
    invoice.status, invoice.paid_at = InvoiceStatus.OPEN, None
    return True


def settle_if_paid(invoice: Invoice, actor: Actor) -> bool:
    """Move an open invoice to paid once its balance reaches zero; True if it moved."""
    if invoice.status != InvoiceStatus.OPEN or ledger.balance(invoice.id) > 0:
        return False
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = utcnow()
    audit.record(
        "invoice.paid", practice_id=invoice.practice_id, invoice_id=invoice.id, actor=actor
    )
    return True
