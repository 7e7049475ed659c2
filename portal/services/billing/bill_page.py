"""Everything the patient's bill page shows, read in a fixed number of statements.

The page costs five statements however many lines, payments and refunds the invoice has:
the link with its invoice, practice, patient, lines and the practice's plan and discount
policies (`LINK_OPTIONS`, loaded by the patient session); the ledger summed by kind; the
invoice's plans with their installments; its payments with their refunds; its settlement
offers. The rules are those of `incentives` and `plans`, applied to what was loaded. Where
Saldo issues the practice's Italian health invoices, the fiscal section adds three (its
documents, the codice fiscale, the Sistema TS opposition: `fiscal.bill_section`).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import defaultload, defer, joinedload

from portal.clock import practice_today
from portal.extensions import db
from portal.models import (
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Patient,
    Payment,
    Practice,
    SettlementOffer,
)
from portal.models.invoice import InvoiceStatus
from portal.models.payment import IN_FLIGHT, PaymentStatus
from portal.models.plan import Plan, PlanStatus
from portal.services.billing.invoices import InvoiceSummary
from portal.services.fiscal import bill_section
from portal.services.fiscal.bill_section import BillFiscal
from portal.services.incentives import rules
from portal.services.incentives.rules import Discount
from portal.services.payments import partial
from portal.services.payments.partial import PartialRules
from portal.services.plans import plans

#: loader options on the invoice for `patient.session.link_required` on the bill page
LINK_OPTIONS = (
    joinedload(Invoice.lines),
    defaultload(Invoice.practice).joinedload(Practice.plan_policy),
    defaultload(Invoice.practice).joinedload(Practice.discount_policy),
    defaultload(Invoice.practice).joinedload(Practice.fiscal_profile),
)
#: the plan the page shows: running, or finished with its history
_SHOWN_PLANS = ("active", "past_due", "completed")
_CREDITS = ("discount", "adjustment", "settlement", "write_off")


@dataclass(frozen=True)
class Incentives:
    discount: Discount | None
    offer: SettlementOffer | None
    balance_minor: int

    @property
    def forgiven_minor(self) -> int:
        return self.balance_minor - self.offer.amount_minor if self.offer else 0


@dataclass(frozen=True)
class PlanView:
    """The plan as the page shows it (its PDF is not loaded, only whether there is one)."""

    plan: Plan
    has_agreement: bool

    @property
    def upcoming(self):
        return [i for i in self.plan.installments if i.status in ("scheduled", "failed")]


@dataclass(frozen=True)
class BillPage:
    invoice: Invoice
    practice: Practice
    patient: Patient
    lines: list[InvoiceLine]
    summary: InvoiceSummary
    receipts: list[Payment]
    pending: Payment | None
    plan: PlanView | None
    pending_plan_signed: bool
    plan_offered: bool
    incentives: Incentives | None
    fiscal: BillFiscal
    #: the rules for paying part of the balance, when the practice allows it
    partial: PartialRules | None = None


def build(
    invoice: Invoice, today: date | None = None, sums: dict[str, int] | None = None
) -> BillPage:
    """The bill page of `invoice`, loaded with `LINK_OPTIONS`; `today` defaults to the
    practice's calendar day; `sums`, the ledger summed by kind, are read when not given
    (`bill_version.state` has them)."""
    practice = invoice.practice
    today = today or practice_today(practice)
    sums = _ledger_sums(invoice.id) if sums is None else sums
    shown_plan, pending_plan, plan_took_over = _plans(invoice.id)
    payments = _payments(invoice.id)
    summary = _summary(invoice, sums)
    balance = summary.balance_minor
    plan_policy = practice.plan_policy
    deposit = rules.deposit_for(practice.discount_policy, balance)
    offered = shown_plan is None and bool(plans.allowed_counts(plan_policy, balance, deposit))
    found = None
    if invoice.status == InvoiceStatus.OPEN:
        found = _incentives(invoice, today, sums, payments, plan_took_over, balance)
    return BillPage(
        invoice=invoice,
        practice=practice,
        patient=invoice.patient,
        lines=list(invoice.lines),
        summary=summary,
        receipts=[p for p in payments if p.status == PaymentStatus.SUCCEEDED],
        pending=next((p for p in payments if p.status in IN_FLIGHT), None),
        plan=shown_plan,
        pending_plan_signed=(
            shown_plan is None and pending_plan is not None and pending_plan.signed_at is not None
        ),
        plan_offered=offered,
        incentives=found,
        fiscal=bill_section.of_bill(invoice),
        partial=None if shown_plan else partial.rules_for(invoice, balance),
    )


# the page's statements, built once per process (a bill is read far more often than written)
_INVOICE = bindparam("invoice_id")
_LEDGER_SUMS = (
    select(LedgerEntry.kind, func.sum(LedgerEntry.amount_minor))
    .where(LedgerEntry.invoice_id == _INVOICE)
    .group_by(LedgerEntry.kind)
)
#: the invoice's plans, newest first, with their installments and whether each has its
#: agreement (the PDF itself is not read); the staff invoice page reads them the same way
PLANS = (
    select(Plan, Plan.agreement_pdf.is_not(None))
    .where(Plan.invoice_id == _INVOICE)
    .options(defer(Plan.agreement_pdf), defer(Plan.signature_png), joinedload(Plan.installments))
    .order_by(Plan.id.desc())
)
#: the invoice's payments, oldest first, with their refunds
PAYMENTS = (
    select(Payment)
    .where(Payment.invoice_id == _INVOICE)
    .options(joinedload(Payment.refunds))
    .order_by(Payment.id)
)
_OFFERS = (
    select(SettlementOffer)
    .where(SettlementOffer.invoice_id == _INVOICE)
    .order_by(SettlementOffer.id.desc())
)


def summary_of(invoice: Invoice, sums: dict[str, int] | None = None) -> InvoiceSummary:
    """The totals of `invoice` (its lines loaded) with the ledger summed in one statement,
    or with `sums` already read (the bill's version has them)."""
    return _summary(invoice, _ledger_sums(invoice.id) if sums is None else sums)


def _ledger_sums(invoice_id: int) -> dict[str, int]:
    rows = db.session.execute(_LEDGER_SUMS, {"invoice_id": invoice_id})
    return {kind: int(total) for kind, total in rows}


def _summary(invoice: Invoice, sums: dict[str, int]) -> InvoiceSummary:
    lines = invoice.lines
    return InvoiceSummary(
        charged_minor=sum(line.charged_minor for line in lines),
        insurance_paid_minor=sum(line.insurance_paid_minor for line in lines),
        adjustment_minor=sum(line.adjustment_minor for line in lines),
        patient_share_minor=sum(line.patient_share_minor for line in lines),
        paid_minor=abs(sums.get("payment", 0)) - abs(sums.get("refund", 0)),
        credits_minor=abs(sum(sums.get(kind, 0) for kind in _CREDITS)),
        balance_minor=sum(sums.values()),
    )


def _plans(invoice_id: int) -> tuple[PlanView | None, Plan | None, bool]:
    """(the plan shown, the newest plan awaiting signature, whether a plan took over)."""
    rows = db.session.execute(PLANS, {"invoice_id": invoice_id}).unique().all()
    shown = next((PlanView(p, bool(pdf)) for p, pdf in rows if p.status in _SHOWN_PLANS), None)
    pending = next((p for p, _ in rows if p.status == PlanStatus.PENDING_SIGNATURE), None)
    return shown, pending, shown is not None


def _payments(invoice_id: int) -> list[Payment]:
    return list(db.session.scalars(PAYMENTS, {"invoice_id": invoice_id}).unique())


def _incentives(
    invoice: Invoice,
    today: date,
    sums: dict[str, int],
    payments: list[Payment],
    plan_took_over: bool,
    balance: int,
) -> Incentives | None:
    discount_used = "discount" in sums or any(
        p.purpose == rules.DISCOUNTED and p.status in ("succeeded", *IN_FLIGHT) for p in payments
    )
    discount = None
    if not plan_took_over and not discount_used:
        discount = rules.discount_for(invoice.practice.discount_policy, invoice, today, balance)
    status_of = {p.id: p.status for p in payments}
    offers = db.session.scalars(_OFFERS, {"invoice_id": invoice.id})
    offer = next(
        (
            o
            for o in offers
            if rules.offer_payable(o, today, invoice, balance, _status(o, status_of))
        ),
        None,
    )
    return Incentives(discount, offer, balance) if discount or offer else None


def _status(offer: SettlementOffer, status_of: dict[int, str]) -> str | None:
    if offer.payment_id is None:
        return None
    if offer.payment_id in status_of:
        return status_of[offer.payment_id]
    return db.session.scalar(db.select(Payment.status).where(Payment.id == offer.payment_id))
