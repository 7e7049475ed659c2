"""Invoices: the patient's share of each line is charged once when the invoice is issued,
drafts change freely, issued invoices only through the ledger; the summary adds up."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import AuditEvent, LedgerEntry
from portal.models.invoice import InvoiceStatus
from portal.services.billing import invoices, ledger
from portal.services.billing.invoices import InvalidInvoice, LineInput
from portal.services.core.audit import SYSTEM
from tests import factories

ISSUED, DUE = date(2026, 11, 1), date(2026, 12, 1)


def line(charged=12000, insurance=2000, adjustment=500, description="Cleaning", code=" D1110 "):
    return LineInput(date(2026, 10, 28), description, charged, insurance, adjustment, code)


def make(patient, lines, number="INV-1", draft=False):
    return invoices.create_invoice(
        patient, number=number, issued_on=ISSUED, due_on=DUE, lines=lines, actor=SYSTEM, draft=draft
    )


def charges(invoice):
    query = db.select(LedgerEntry.kind, LedgerEntry.amount_minor).filter_by(invoice_id=invoice.id)
    return [tuple(row) for row in db.session.execute(query.order_by(LedgerEntry.id))]


def test_issuing_charges_the_patient_s_share_of_every_line_once(app):
    patient = factories.patient(factories.practice())
    invoice = make(patient, [line(), line(8050, 0, 0, "Filling", "")], number=" INV-1 ")
    db.session.commit()
    assert (invoice.number, invoice.status, invoice.currency) == ("INV-1", "open", "EUR")
    assert [(li.position, li.procedure_code, li.patient_share_minor) for li in invoice.lines] == [
        (1, "D1110", 9500),
        (2, None, 8050),
    ]
    assert charges(invoice) == [("charge", 17550)]
    assert invoices.summarize(invoice) == invoices.InvoiceSummary(
        charged_minor=20050,
        insurance_paid_minor=2000,
        adjustment_minor=500,
        patient_share_minor=17550,
        paid_minor=0,
        credits_minor=0,
        balance_minor=17550,
    )
    with pytest.raises(InvalidInvoice) as refused:
        invoices.issue(invoice, SYSTEM)
    assert str(refused.value) == "This invoice has already been issued."


def test_an_invoice_insurance_covers_in_full_is_paid_at_once(app):
    patient = factories.patient(factories.practice())
    invoice = make(patient, [line(5000, 5000, 0)])
    db.session.commit()
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at is not None
    assert charges(invoice) == []
    actions = db.session.scalars(
        db.select(AuditEvent.action).filter_by(invoice_id=invoice.id).order_by(AuditEvent.id)
    ).all()
    assert actions == ["invoice.created", "invoice.issued", "invoice.paid"]


def test_a_draft_is_edited_and_issued_later(app):
    patient = factories.patient(factories.practice())
    draft = make(patient, [line()], draft=True)
    assert (draft.status, charges(draft)) == (InvoiceStatus.DRAFT, [])
    invoices.update_draft(
        draft, issued_on=ISSUED, due_on=DUE, lines=[line(3000, 0, 0, "Check-up")], actor=SYSTEM
    )
    invoices.issue(draft, SYSTEM)
    db.session.commit()
    assert [li.description for li in draft.lines] == ["Check-up"]
    assert charges(draft) == [("charge", 3000)]
    with pytest.raises(InvalidInvoice) as refused:
        invoices.update_draft(draft, issued_on=ISSUED, due_on=DUE, lines=[line()], actor=SYSTEM)
    assert str(refused.value) == "Only a draft can be edited."


@pytest.mark.parametrize(
    ("lines", "due", "message"),
    [
        ([], DUE, "An invoice needs at least one line."),
        ([line()], date(2026, 10, 31), "The due date is before the issue date."),
        ([line(-1, 0, 0)], DUE, "Amounts cannot be negative."),
        ([line(12.5, 0, 0)], DUE, "Amounts cannot be negative."),
        ([line(True, 0, 0)], DUE, "Amounts cannot be negative."),
        ([line(1000, 800, 201)], DUE, "Insurance and adjustments are more than the charge."),
        ([line(description="  ")], DUE, "Every line needs a description."),
    ],
)
def test_an_invoice_the_rules_refuse_is_not_created(app, lines, due, message):
    patient = factories.patient(factories.practice())
    with pytest.raises(InvalidInvoice) as refused:
        invoices.create_invoice(
            patient, number="X-1", issued_on=ISSUED, due_on=due, lines=lines, actor=SYSTEM
        )
    assert str(refused.value) == message


def test_an_invoice_number_is_used_once_per_practice(app):
    practice = factories.practice()
    make(factories.patient(practice), [line()], number="N-1")
    with pytest.raises(InvalidInvoice) as refused:
        make(factories.patient(practice, first_name="Luca"), [line()], number="N-1")
    assert str(refused.value) == "Invoice number N-1 is already used."
    with pytest.raises(InvalidInvoice) as refused:
        make(factories.patient(practice), [line()], number="  ")
    assert str(refused.value) == "Enter an invoice number."
    other = make(factories.patient(factories.practice()), [line()], number="N-1")
    assert other.number == "N-1"


def test_the_summary_and_the_status_follow_the_ledger(app):
    patient = factories.patient(factories.practice())
    invoice = make(patient, [line(10000, 0, 0)])
    ledger.post(invoice, "payment", 6000)
    ledger.post(invoice, "refund", 1000)
    ledger.post(invoice, "discount", 500)
    summary = invoices.summarize(invoice)
    assert (summary.paid_minor, summary.credits_minor, summary.balance_minor) == (5000, 500, 4500)
    assert invoices.settle_if_paid(invoice, SYSTEM) is False
    ledger.post(invoice, "payment", 4500)
    assert invoices.settle_if_paid(invoice, SYSTEM) is True
    assert invoice.status == InvoiceStatus.PAID
    assert invoices.reopen_if_owed(invoice) is False
    ledger.post(invoice, "refund", 2000)
    assert invoices.reopen_if_owed(invoice) is True
    assert (invoice.status, invoice.paid_at) == (InvoiceStatus.OPEN, None)
