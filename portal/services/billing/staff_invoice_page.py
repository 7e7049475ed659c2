"""Everything the staff invoice page shows, read in a fixed number of statements.

However many payments, refunds, plans, offers, fiscal documents, messages and audit events
the invoice has, the page reads: its lines, its patient and the practice's fiscal profile;
the ledger summed by kind; its payments with their refunds; chargebacks; held credits; plans
with their installments; messages; the timeline; locked links; the hold with its reminders and
calls; settlement offers; and, for a practice whose fiscal documents Saldo issues, those
documents and the patient's codice fiscale. Forms stay with the view.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, select

from portal.clock import practice_today
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Delivery,
    Dispute,
    FiscalDocument,
    Invoice,
    InvoiceLine,
    Patient,
    Payment,
    PaymentLink,
    Practice,
    Refund,
    SettlementOffer,
)
from portal.models.invoice import InvoiceStatus
from portal.models.payment import PaymentStatus, RefundStatus
from portal.models.settlement_offer import OfferStatus
from portal.services.access import links
from portal.services.billing import credits
from portal.services.billing.bill_page import PAYMENTS, PLANS, PlanView, summary_of
from portal.services.billing.credits import Credit
from portal.services.billing.invoices import InvoiceSummary
from portal.services.collections import holds
from portal.services.collections.holds import Overview
from portal.services.core import audit
from portal.services.fiscal import documents, profile, statement, tax_ids
from portal.services.incentives import settlements
from portal.services.payments import disputes

#: how long a new settlement offer is valid unless staff choose another day
OFFER_DAYS = 14


@dataclass(frozen=True)
class OfferRow:
    offer: SettlementOffer
    #: the status as of today (an open offer past its day reads "expired")
    status: str


@dataclass(frozen=True)
class OffersPanel:
    """The settlement offers section (templates/staff/_invoice_offers.html)."""

    rows: list[OfferRow]
    today: date
    #: open invoice with no open offer: staff may make one
    can_offer: bool
    #: the day a new offer is valid until unless staff change it
    default_expires_on: date


@dataclass(frozen=True)
class FiscalPanel:
    """The fiscal section (templates/fiscal/_staff_invoice.html)."""

    #: Saldo issues this Italian practice's health invoices
    italy: bool
    documents: list[FiscalDocument]
    #: succeeded payments without a health invoice yet
    payments: list[Payment]
    #: succeeded refunds without a credit note yet
    refunds: list[Refund]
    codice_fiscale: str | None
    #: a US practice that can give an itemized statement
    statement: bool


@dataclass(frozen=True)
class StaffInvoicePage:
    invoice: Invoice
    practice: Practice
    patient: Patient
    lines: list[InvoiceLine]
    summary: InvoiceSummary
    #: every payment, oldest first, each with its refunds loaded
    payments: list[Payment]
    disputes: list[Dispute]
    credits: list[Credit]
    #: newest first
    plans: list[PlanView]
    #: newest first
    deliveries: list[Delivery]
    timeline: list[AuditEvent]
    locked_links: list[PaymentLink]
    collections: Overview
    offers: OffersPanel
    fiscal: FiscalPanel


def build(invoice: Invoice, today: date | None = None) -> StaffInvoicePage:
    """The staff page of `invoice`; `today` defaults to the practice's calendar day."""
    practice = invoice.practice
    today = today or practice_today(practice)
    practice.fiscal_profile  # noqa: B018 (read once: every fiscal rule below uses it)
    lines = list(invoice.lines)
    payments = list(db.session.scalars(PAYMENTS, {"invoice_id": invoice.id}).unique())
    statuses = {p.id: p.status for p in payments}
    return StaffInvoicePage(
        invoice=invoice,
        practice=practice,
        patient=invoice.patient,
        lines=lines,
        summary=summary_of(invoice),
        payments=payments,
        disputes=disputes.of_payments(list(statuses)),
        # after the payments: each credit's payment comes from the session, refunds loaded
        credits=credits.held(invoice),
        plans=[
            PlanView(p, bool(pdf))
            for p, pdf in db.session.execute(PLANS, {"invoice_id": invoice.id}).unique()
        ],
        deliveries=list(db.session.scalars(_DELIVERIES, {"invoice_id": invoice.id})),
        timeline=audit.timeline(invoice.id),
        locked_links=links.locked_links(invoice),
        collections=holds.overview(invoice),
        offers=_offers(invoice, today, statuses),
        fiscal=_fiscal(invoice, payments),
    )


_DELIVERIES = (
    select(Delivery)
    .where(Delivery.invoice_id == bindparam("invoice_id"))
    .order_by(Delivery.id.desc())
)


def _offers(invoice: Invoice, today: date, statuses: dict[int, str]) -> OffersPanel:
    rows = [
        OfferRow(offer, settlements.status_of(offer, today, statuses))
        for offer in settlements.offers_for(invoice)
    ]
    return OffersPanel(
        rows=rows,
        today=today,
        can_offer=invoice.status == InvoiceStatus.OPEN
        and not any(row.status == OfferStatus.OPEN for row in rows),
        default_expires_on=today + timedelta(days=OFFER_DAYS),
    )


def _fiscal(invoice: Invoice, payments: list[Payment]) -> FiscalPanel:
    practice = invoice.practice
    italy = profile.saldo_issues(practice)
    if not italy:
        return FiscalPanel(False, [], [], [], None, statement.available(practice))
    issued = documents.of_invoice(invoice)
    invoiced = {d.payment_id for d in issued if d.refund_id is None}
    credited = {d.refund_id for d in issued if d.refund_id is not None}
    received = [p for p in payments if p.status == PaymentStatus.SUCCEEDED]
    return FiscalPanel(
        italy=True,
        documents=issued,
        payments=[p for p in received if p.id not in invoiced],
        refunds=[
            r
            for p in received
            for r in p.refunds
            if r.status == RefundStatus.SUCCEEDED and r.id not in credited
        ],
        codice_fiscale=tax_ids.codice_fiscale_of(invoice.patient),
        statement=statement.available(practice),
    )
