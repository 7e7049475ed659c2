"""What the health invoice PDF is told about its document: whether it covers the whole patient
share, whether each line's amount adds up to the exempt amount, whether the payment is
traceable, whether the patient opposed the Sistema TS; and the documents' file names."""

from datetime import date, datetime

import pytest

from portal.extensions import db
from portal.models.ledger import LedgerKind
from portal.services.billing import invoices, ledger, money
from portal.services.core.audit import SYSTEM, Actor
from portal.services.fiscal import documents, opposition, render
from portal.services.fiscal.reductions import Reduction
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


def reduced(kind, paid_minor, forgiven_minor, stamp_charged=False):
    """A bill of €154.50 paid with `paid_minor` whose price `kind` (a discount or settlement
    booked with the payment, as incentives.booking does) lowered by `forgiven_minor`."""
    practice = ff.italian_practice(stamp_charged=stamp_charged)
    invoice = factories.invoice(ff.patient_with_cf(practice), (12000, 3450))
    payment = ff.paid(invoice, paid_minor)
    ledger.post(invoice, kind, forgiven_minor, payment_id=payment.id)
    invoices.settle_if_paid(invoice, SYSTEM)
    db.session.commit()
    return documents.issue_invoice(payment, SYSTEM, today=DAY)


def pdf_words(document, locale="it") -> str:
    return " ".join(pdf_text(render.document_pdf(document, locale)).split())


def test_a_discounted_full_payment_is_full_and_lists_the_discount_under_the_services(app):
    document = reduced(LedgerKind.DISCOUNT, 14677, 773)
    assert (document.amount_minor, document.stamp_duty_minor, document.total_minor) == (
        14677,
        200,
        14677,
    )
    assert flags(document) == {"full": True, "itemized": True, "traceable": True, "opposed": False}
    assert render.document_context(document)["reductions"] == [Reduction("discount", 773)]
    text = pdf_words(document)
    assert "Pagamento parziale" not in text
    assert "120,00 € " in text and "34,50 € " in text
    assert "Sconto per pagamento anticipato -7,73 € Prestazioni sanitarie esenti IVA 146,77 €" in (
        text
    )
    english = pdf_words(document, "en")
    assert "Part payment" not in english
    assert "Early-payment discount -€7.73 Health services exempt from VAT €146.77" in english


def test_a_settlement_paid_at_once_is_full_and_with_the_stamp_recovered_not_itemized(app):
    document = reduced(LedgerKind.SETTLEMENT, 10000, 5450, stamp_charged=True)
    assert (document.amount_minor, document.stamp_duty_minor, document.total_minor) == (
        9800,
        200,
        10000,
    )
    assert flags(document) == {"full": True, "itemized": False, "traceable": True, "opposed": False}
    text = pdf_words(document)
    assert "Prestazioni sanitarie esenti IVA 98,00 € Rivalsa imposta di bollo 2,00 €" in text
    # the lines carry no amounts, so neither does the reduction
    assert "Riduzione concordata" not in text


def test_a_price_correction_before_a_payment_lowers_its_price_not_the_refunded_one(app):
    practice = ff.italian_practice()
    invoice = factories.invoice(ff.patient_with_cf(practice), (12000, 3450))
    first = ff.paid(invoice, 5000)
    ff.refunded(first, 5000)  # a price correction: the €50.00 is no longer owed
    second = ff.paid(invoice, 10450)
    earlier = documents.issue_invoice(first, SYSTEM, today=DAY)
    later = documents.issue_invoice(second, SYSTEM, today=DAY)
    # the correction refunded the first payment: its own credit note carries it
    assert render.document_context(earlier)["reductions"] == []
    assert flags(earlier)["full"] is False
    assert render.document_context(later)["reductions"] == [Reduction("adjustment", 5000)]
    assert flags(later) == {"full": True, "itemized": True, "traceable": True, "opposed": False}
    assert "Rettifica del prezzo -50,00 € Prestazioni sanitarie esenti IVA 104,50 €" in (
        pdf_words(later)
    )


def test_a_bill_paid_in_part_and_the_rest_written_off_stays_a_part_payment(app):
    practice = ff.italian_practice()
    invoice = factories.invoice(ff.patient_with_cf(practice), (12000, 3450))
    payment = ff.paid(invoice, 10000)
    money.write_off(invoice, 5450, "Hardship", SYSTEM)
    db.session.commit()
    assert invoice.status == "paid"
    document = documents.issue_invoice(payment, SYSTEM, today=DAY)
    assert flags(document) == {
        "full": False,
        "itemized": False,
        "traceable": True,
        "opposed": False,
    }
    assert render.document_context(document)["reductions"] == []
    text = pdf_words(document)
    assert "Pagamento parziale delle prestazioni sanitarie sopra indicate, esente IVA 100,00 €" in (
        text
    )
    assert "Part payment for the health services above, exempt from VAT €100.00" in pdf_words(
        document, "en"
    )
