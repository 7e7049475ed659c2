"""The monthly file of health-expense data for the Sistema Tessera Sanitaria.

One `documentoSpesa` per document issued in the month: health invoices as flagOperazione
"I", credit notes as "R" with `idRimborso` naming the invoice they refund. Each carries the
traced-payment flag (SI unless cash) and the opposition flag; with an opposition the
patient's codice fiscale is left out, as the specification requires. Health services are
tipoSpesa "SR", VAT nature N4 (exempt, art. 10 n. 18 DPR 633/72); stamp duty recovered from
the patient is its own voce "AA", nature N1 (excluded, art. 15 DPR 633/72). With a SOGEI
certificate configured (`STS_CERTIFICATE_PATH`) the codici fiscali are encrypted with it.
The file is checked against `sts_730_precompilata.xsd` before it is handed out."""

from calendar import monthrange
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.gateways import sogei, xsd
from portal.models import FiscalDocument, Practice
from portal.models.fiscal import DocumentKind
from portal.services.core.refusals import RefusalCode, Refused
from portal.services.fiscal.documents import TRACEABLE
from portal.services.fiscal.opposition import is_opposed
from portal.services.fiscal.profile import FiscalRefused, profile_of

SCHEMA = Path(__file__).with_name("sts_730_precompilata.xsd")
HEALTH_SERVICES, OTHER = "SR", "AA"
EXEMPT, EXCLUDED = "N4", "N1"


class InvalidExport(Refused, RuntimeError):
    """The file does not match the schema: a bug, the file is not handed out."""

    code = RefusalCode.FISCAL_EXPORT


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of "YYYY-MM", or FiscalRefused."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError as exc:
        raise FiscalRefused(_l("Give the month as YYYY-MM, e.g. 2027-01.")) from exc
    return first, date(year, number, monthrange(year, number)[1])


def filename(practice: Practice, month: str) -> str:
    return f"sistema-ts-{practice.slug}-{month}.xml"


def _amount(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _id(parent: ET.Element, tag: str, partita_iva: str, document: FiscalDocument) -> None:
    block = _add(parent, tag)
    _add(block, "pIva", partita_iva)
    _add(block, "dataEmissione", document.issued_on.isoformat())
    number = _add(block, "numDocumentoFiscale")
    _add(number, "dispositivo", "1")
    _add(number, "numDocumento", document.sts_number)


def _cf(value: str) -> str:
    path = current_app.config.get("STS_CERTIFICATE_PATH")
    return sogei.encrypt_codice_fiscale(value, path) if path else value


def _document(root: ET.Element, partita_iva: str, document: FiscalDocument) -> None:
    record = _add(root, "documentoSpesa")
    _id(record, "idSpesa", partita_iva, document)
    if document.kind == DocumentKind.CREDIT_NOTE:
        _id(record, "idRimborso", partita_iva, document.corrects)
    _add(record, "dataPagamento", document.paid_on.isoformat())
    if document.kind == DocumentKind.INVOICE and document.paid_on < document.issued_on:
        _add(record, "flagPagamentoAnticipato", "1")
    _add(record, "flagOperazione", "R" if document.kind == DocumentKind.CREDIT_NOTE else "I")
    opposed = is_opposed(document.invoice)
    if not opposed:
        _add(record, "cfCittadino", _cf(document.patient_codice_fiscale))
    _add(record, "pagamentoTracciato", "SI" if document.method in TRACEABLE else "NO")
    _add(record, "tipoDocumento", "F")
    _add(record, "flagOpposizione", "1" if opposed else "0")
    voce = _add(record, "voceSpesa")
    _add(voce, "tipoSpesa", HEALTH_SERVICES)
    _add(voce, "importo", _amount(document.amount_minor))
    _add(voce, "naturaIVA", EXEMPT)
    if document.stamp_charged:
        voce = _add(record, "voceSpesa")
        _add(voce, "tipoSpesa", OTHER)
        _add(voce, "importo", _amount(document.stamp_duty_minor))
        _add(voce, "naturaIVA", EXCLUDED)


def documents_in(practice: Practice, month: str) -> list[FiscalDocument]:
    """The practice's documents issued in `month`, invoices before credit notes, by number."""
    first, last = month_bounds(month)
    query = db.select(FiscalDocument).where(
        FiscalDocument.practice_id == practice.id,
        FiscalDocument.issued_on >= first,
        FiscalDocument.issued_on <= last,
    )
    documents = db.session.scalars(query).all()
    return sorted(documents, key=lambda d: (d.kind != DocumentKind.INVOICE, d.year, d.number))


def build(practice: Practice, month: str) -> bytes:
    """The Sistema TS file for `month` ("YYYY-MM"), or FiscalRefused when there is nothing
    to send or the practice's fiscal data are missing."""
    profile = profile_of(practice)
    if not (profile.partita_iva and profile.codice_fiscale):
        raise FiscalRefused(_l("Enter the practice's partita IVA and codice fiscale first."))
    documents = documents_in(practice, month)
    if not documents:
        raise FiscalRefused(
            _l("No health invoice or credit note was issued in %(month)s.", month=month)
        )
    root = ET.Element("precompilata")
    owner = _add(root, "proprietario")
    _add(owner, "cfProprietario", _cf(profile.codice_fiscale))
    for document in documents:
        _document(root, profile.partita_iva, document)
    ET.indent(root)
    xml = ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"
    problems = xsd.errors(xml, SCHEMA)
    if problems:
        raise InvalidExport(
            _l(
                "The Sistema TS file failed its check against the schema, so it was not "
                "created: %(problems)s",
                problems="; ".join(problems),
            )
        )
    return xml
