"""The US itemized statement for HSA/FSA and insurance claims: the provider's identifiers,
each line of care with its code, what was charged, paid by insurance, adjusted, and what the
patient paid, when and how."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.clock import day_of, practice_zone
from portal.i18n import file_name
from portal.models import Invoice, Payment, Practice
from portal.services.billing import invoices
from portal.services.fiscal import reductions
from portal.services.fiscal.profile import FiscalRefused, profile_of
from portal.services.fiscal.reductions import Reduction
from portal.services.payments import payments


@dataclass(frozen=True)
class PatientPayment:
    paid_on: date
    method: str
    label: str | None
    amount_minor: int
    refunded_minor: int


@dataclass(frozen=True)
class Statement:
    practice: Practice
    provider_name: str
    address: str
    ein: str
    npi: str
    invoice: Invoice
    summary: invoices.InvoiceSummary
    payments: list[PatientPayment]
    #: what lowered the patient's responsibility after the visit (discount, settlement,
    #: price correction): the patient neither paid nor owes it
    reductions: list[Reduction]
    #: what the practice stopped asking for: owed, never paid
    written_off_minor: int
    first_service: date
    last_service: date


def available(practice: Practice) -> bool:
    """A US practice whose EIN and NPI are on file can give statements."""
    profile = profile_of(practice)
    return practice.country == "US" and bool(profile.ein and profile.npi)


def build(invoice: Invoice) -> Statement:
    """The statement of `invoice`, or FiscalRefused when the provider's identifiers are
    missing."""
    practice = invoice.practice
    profile = profile_of(practice)
    if not available(practice):
        raise FiscalRefused(_l("Enter the practice's EIN and NPI in the fiscal settings first."))
    address = profile.fiscal_address or practice.address or ""
    received: list[Payment] = payments.receipts_for(invoice)
    days = [line.service_date for line in invoice.lines] or [invoice.issued_on]
    return Statement(
        practice=practice,
        provider_name=profile.legal_name or practice.name,
        address=address,
        ein=profile.ein or "",
        npi=profile.npi or "",
        invoice=invoice,
        summary=invoices.summarize(invoice),
        payments=[
            PatientPayment(
                paid_on=day_of(p.succeeded_at, practice_zone(practice)),
                method=p.method,
                label=p.method_label,
                amount_minor=p.amount_minor,
                refunded_minor=p.refunded_minor,
            )
            for p in received
            if p.succeeded_at is not None
        ],
        reductions=reductions.of_invoice(invoice),
        written_off_minor=reductions.written_off(invoice),
        first_service=min(days),
        last_service=max(days),
    )


def filename(invoice: Invoice, locale: str | None = None) -> str:
    """The statement's file name in `locale` (default: the current one)."""
    return file_name("statement", invoice.number, locale=locale)
