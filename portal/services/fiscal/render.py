"""The PDFs: the Italian health invoice or credit note (an English copy on request) and the
US itemized statement, rendered from templates/fiscal/ in the requested language."""

from flask import current_app, render_template

from portal.gateways.pdf import html_to_pdf
from portal.i18n import file_name, rendering_in
from portal.models import FiscalDocument, Invoice
from portal.models.fiscal import DocumentKind
from portal.services.fiscal import reductions, statement
from portal.services.fiscal.documents import TRACEABLE
from portal.services.fiscal.opposition import is_opposed
from portal.services.fiscal.profile import profile_of


def document_context(document: FiscalDocument) -> dict:
    invoice = document.invoice
    shares = sum(line.patient_share_minor for line in invoice.lines)
    is_invoice = document.kind == DocumentKind.INVOICE
    lowered = reductions.before_payment(document.payment) if is_invoice else []
    #: the price the patient owed: the share less what lowered the price itself
    price = shares - sum(r.amount_minor for r in lowered)
    return {
        "document": document,
        "invoice": invoice,
        "practice": invoice.practice,
        "profile": profile_of(invoice.practice),
        "patient": invoice.patient,
        #: the document covers the whole price owed (a write-off does not lower it)
        "full": is_invoice and document.total_minor == price,
        #: each line's amount, less the reductions, adds up to the exempt amount
        "itemized": is_invoice and document.amount_minor == price,
        "reductions": lowered,
        "traceable": document.method in TRACEABLE,
        "opposed": is_opposed(invoice),
    }


def document_pdf(document: FiscalDocument, locale: str = "it") -> bytes:
    """The health invoice or credit note; Italian is the fiscal original."""
    with rendering_in(locale):
        html = render_template("fiscal/document.html", **document_context(document))
    return html_to_pdf(html, base_url=current_app.static_folder)


def document_filename(document: FiscalDocument, locale: str = "it") -> str:
    """The document's file name in `locale`; an English courtesy copy ends in "-en"."""
    kind = DocumentKind(document.kind).value
    parts = [document.year, f"{document.number:04d}"] + (["en"] if locale == "en" else [])
    return file_name(kind, *parts, locale=locale)


def statement_pdf(invoice: Invoice, locale: str = "en") -> bytes:
    """The US itemized statement of `invoice`."""
    data = statement.build(invoice)
    with rendering_in(locale):
        html = render_template("fiscal/statement.html", s=data, practice=invoice.practice)
    return html_to_pdf(html, base_url=current_app.static_folder)
