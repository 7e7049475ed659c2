"""What the health invoice PDF is told about its document: whether it covers the whole patient
share, whether each line's amount adds up to the exempt amount, whether the payment is
traceable, whether the patient opposed the Sistema TS; and the documents' file names."""

from datetime import date, datetime

import pytest

from portal.extensions import db
from portal.services.core.audit import SYSTEM, Actor
from portal.services.fiscal import documents, opposition, render
from tests import factories
from tests import fiscal_factories as ff
from tests.support.pdf import pdf_text

#: nothing here differs by database
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PATIENT = Actor("patient", "link:1")
DAY = date(2027, 1, 10)


def issued(amount_minor, method="card_terminal", stamp_charged=False, amounts=(12000, 3450)):
    practice = ff.italian_practice(stamp_charged=stamp_charged)
    invoice = factories.invoice(ff.patient_with_cf(practice), amounts)
    payment = ff.paid(invoice, amount_minor, method, at=datetime(2027, 1, 10, 9))
    return documents.issue_invoice(payment, SYSTEM, today=DAY)


def flags(document) -> dict:
    context = render.document_context(document)
    return {key: context[key] for key in ("full", "itemized", "traceable", "opposed")}


def test_a_full_payment_with_the_stamp_borne_by_the_practice_lists_each_line(app):
    document = issued(15450)
    assert (document.amount_minor, document.stamp_duty_minor, document.total_minor) == (
        15450,
        200,
        15450,
    )
    assert flags(document) == {"full": True, "itemized": True, "traceable": True, "opposed": False}


def test_with_the_stamp_recovered_the_lines_no_longer_add_up_to_the_exempt_amount(app):
    document = issued(15450, stamp_charged=True)
    assert (document.amount_minor, document.stamp_duty_minor, document.total_minor) == (
        15250,
        200,
        15450,
    )
    assert flags(document) == {
        "full": True,
        "itemized": False,
        "traceable": True,
        "opposed": False,
    }


def test_a_part_payment_in_cash_is_neither_full_nor_traceable(app):
    document = issued(5000, method="cash")
    assert flags(document) == {
        "full": False,
        "itemized": False,
        "traceable": False,
        "opposed": False,
    }
    text = " ".join(pdf_text(render.document_pdf(document)).split())
    assert "Pagamento parziale delle prestazioni sanitarie sopra indicate, esente IVA 50,00 €" in (
        text
    )
    assert "Pagato il 10 gen 2027 in contanti, mezzo di pagamento non tracciabile." in text


def test_a_credit_note_is_never_the_full_share_and_follows_the_latest_opposition(app):
    original = issued(15450)
    note = documents.issue_credit_note(ff.refunded(original.payment, 15450), SYSTEM, today=DAY)
    assert flags(note) == {"full": False, "itemized": False, "traceable": True, "opposed": False}
    invoice = original.invoice
    opposition.record(invoice, True, "notice", "it", PATIENT)
    db.session.commit()
    assert flags(note)["opposed"] is True and flags(original)["opposed"] is True
    # the patient changed their mind: the latest choice is the one in force
    opposition.record(invoice, False, "notice", "it", PATIENT)
    db.session.commit()
    assert flags(original)["opposed"] is False


def test_file_names_in_italian_and_the_english_copy(app):
    document = issued(15450)
    note = documents.issue_credit_note(ff.refunded(document.payment, 2000), SYSTEM, today=DAY)
    assert render.document_filename(document) == "fattura-2027-0001.pdf"
    assert render.document_filename(document, "en") == "invoice-2027-0001-en.pdf"
    assert render.document_filename(note, "it") == "nota-di-credito-2027-0001.pdf"
    assert render.document_filename(note, "en") == "credit-note-2027-0001-en.pdf"
