"""The PDFs: the Italian health invoice or credit note (an English copy on request) and the
US itemized statement, rendered from templates/fiscal/ in the requested language."""

from flask import current_app, render_template

from portal.gateways.pdf import html_to_pdf
from portal.i18n import file_name, rendering_in
from portal.models import FiscalDocument, Invoice
from portal.models.fiscal import DocumentKind
from portal.services.fiscal import statement
from portal.services.fiscal.documents import TRACEABLE
from portal.services.fiscal.opposition import is_opposed
from portal.services.fiscal.profile import profile_of


def document_context(document: FiscalDocument) -> dict:
    invoice = document.invoice
    shares = sum(line.patient_share_minor for line in invoice.lines)
    return {
        "document": document,
        "invoice": invoice,
        "practice": invoice.practice,
        "profile": profile_of(invoice.practice),
        "patient": invoice.patient,
        #: the document covers the whole patient share
        "full": document.kind == DocumentKind.INVOICE and document.total_minor == shares,
        #: each line's amount adds up to the exempt amount
        "itemized": document.kind == DocumentKind.INVOICE and document.amount_minor == shares,
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
