"""What the patient's bill shows about fiscal documents: for a practice whose Italian health
invoices Saldo issues, the documents, whether the codice fiscale is on file and the patient's
choice about the Sistema TS; for a US practice, whether it gives an itemized statement."""

from dataclasses import dataclass

from portal.models import FiscalDocument, Invoice
from portal.services.fiscal import documents, opposition, profile, statement, tax_ids


@dataclass(frozen=True)
class BillFiscal:
    #: Saldo issues this Italian practice's health invoices
    italy: bool
    documents: list[FiscalDocument]
    has_codice_fiscale: bool
    #: the patient opposes sending this expense to the Sistema TS
    opposed: bool
    #: the opposition notice, in the current language ("" outside Italy)
    notice: str
    #: a US practice that gives an itemized statement
    statement: bool


def of_bill(invoice: Invoice) -> BillFiscal:
    """The fiscal section of `invoice`'s bill (no statement outside Italy once the practice's
    fiscal profile is loaded; three in Italy)."""
    practice = invoice.practice
    if not profile.saldo_issues(practice):
        return BillFiscal(False, [], False, False, "", statement.available(practice))
    return BillFiscal(
        italy=True,
        documents=documents.of_invoice(invoice),
        has_codice_fiscale=tax_ids.codice_fiscale_of(invoice.patient) is not None,
        opposed=opposition.is_opposed(invoice),
        notice=opposition.notice_text(),
        statement=statement.available(practice),
    )
