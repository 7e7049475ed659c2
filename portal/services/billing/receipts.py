"""Receipts for successful payments, as a PDF in the patient's language."""

from flask import current_app, render_template

from portal.gateways.pdf import html_to_pdf
from portal.i18n import file_name, rendering_in
from portal.models import Payment
from portal.models.payment import PaymentStatus
from portal.services.billing import invoices
from portal.services.fiscal import profile


def locale_of(payment: Payment) -> str:
    patient = payment.invoice.patient
    return patient.locale or payment.invoice.practice.default_locale


def render_html(payment: Payment) -> str:
    invoice = payment.invoice
    return render_template(
        "pdf/receipt.html",
        payment=payment,
        invoice=invoice,
        practice=invoice.practice,
        patient=invoice.patient,
        summary=invoices.summarize(invoice),
        receipt_is_confirmation=profile.receipts_are_confirmations(invoice.practice),
    )


def render_pdf(payment: Payment, locale: str | None = None) -> bytes:
    """The receipt of a succeeded payment in `locale` (default: the patient's language)."""
    if payment.status != PaymentStatus.SUCCEEDED:
        raise ValueError("only a succeeded payment has a receipt")
    with rendering_in(locale or locale_of(payment)):
        html = render_html(payment)
    return html_to_pdf(html, base_url=current_app.static_folder)


def filename(payment: Payment, locale: str | None = None) -> str:
    """The receipt's file name in `locale` (default: the patient's language)."""
    return file_name("receipt", payment.receipt_number, locale=locale or locale_of(payment))
