"""The US itemized statement: given only by a US practice with its EIN and NPI, with the
provider's identifiers, the dates of care and each payment on the practice's day."""

from datetime import date, datetime

import pytest

from portal.extensions import db
from portal.models.ledger import LedgerKind
from portal.services.billing import invoices, ledger, money
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import profile, render, statement
from portal.services.fiscal.profile import FiscalRefused, ProfileInput
from portal.services.fiscal.reductions import Reduction
from tests import factories
from tests import fiscal_factories as ff
from tests.support.pdf import pdf_text


def us_invoice(practice):
    patient = factories.patient(practice, first_name="Emma", last_name="Stone", locale="en")
    return factories.invoice(patient, amounts=(20000, 5000), number="US-7")


def test_a_statement_lists_the_provider_the_care_and_the_payments(app):
    practice = ff.us_practice()
    invoice = us_invoice(practice)
    # 02:30 UTC on 2 Nov is still 1 Nov in New York
    ff.paid(invoice, 10000, "cash", at=datetime(2026, 11, 2, 2, 30))
    payment = ff.paid(invoice, 5000, "card_terminal", at=datetime(2026, 11, 3, 15, 0))
    ff.refunded(payment, 1500)
    db.session.commit()
    built = statement.build(invoice)
    assert (built.provider_name, built.ein, built.npi) == (
        "Bright Smiles Dental PLLC",
        ff.EIN,
        ff.NPI,
    )
    assert built.address == "350 Fifth Avenue, Suite 200\nNew York, NY 10118"
    assert (built.first_service, built.last_service) == (date(2026, 10, 25), date(2026, 10, 25))
    assert [(p.paid_on, p.method, p.amount_minor, p.refunded_minor) for p in built.payments] == [
        (date(2026, 11, 1), "cash", 10000, 0),
        (date(2026, 11, 3), "card_terminal", 5000, 1500),
    ]
    # the refund corrects the price: the patient paid $135.00 and owes $100.00 still
    summary = built.summary
    assert (summary.patient_share_minor, summary.paid_minor, summary.balance_minor) == (
        25000,
        13500,
        10000,
    )


def test_no_statement_without_the_ein_and_npi_or_outside_the_us(app):
    practice = factories.practice(**factories.USA)
    assert statement.available(practice) is False
    with pytest.raises(FiscalRefused) as refused:
        statement.build(us_invoice(practice))
    assert str(refused.value) == "Enter the practice's EIN and NPI in the fiscal settings first."
    profile.save(practice, ProfileInput(issuer="practice", ein=ff.EIN, npi=ff.NPI))
    assert statement.available(practice) is True
    assert statement.available(ff.italian_practice()) is False


def test_the_file_name_is_in_the_requested_language(app):
    invoice = us_invoice(ff.us_practice())
    assert statement.filename(invoice, "en") == "statement-US-7.pdf"


def statement_words(invoice) -> str:
    return " ".join(pdf_text(render.statement_pdf(invoice)).split())


def test_a_discount_lowers_what_the_patient_owed_and_is_shown_beside_what_was_paid(app):
    invoice = us_invoice(ff.us_practice())
    payment = ff.paid(invoice, 23750)
    ledger.post(invoice, LedgerKind.DISCOUNT, 1250, payment_id=payment.id)
    invoices.settle_if_paid(invoice, SYSTEM)
    db.session.commit()
    built = statement.build(invoice)
    assert (built.reductions, built.written_off_minor) == ([Reduction("discount", 1250)], 0)
    assert (built.summary.paid_minor, built.summary.balance_minor) == (23750, 0)
    text = statement_words(invoice)
    assert "Early-payment discount -$12.50 Patient paid in total $237.50 Balance due $0.00" in text


def test_a_price_correction_and_a_write_off_each_have_their_line(app):
    invoice = us_invoice(ff.us_practice())
    payment = ff.paid(invoice, 15000, "cash")
    ff.refunded(payment, 1500)
    money.write_off(invoice, 4000, "Hardship", SYSTEM)
    db.session.commit()
    built = statement.build(invoice)
    assert (built.reductions, built.written_off_minor) == ([Reduction("adjustment", 1500)], 4000)
    # $250.00 less $15.00 corrected, $135.00 paid and $40.00 written off leaves $60.00
    assert (built.summary.paid_minor, built.summary.balance_minor) == (13500, 6000)
    assert (
        "Price correction -$15.00 Patient paid in total $135.00 "
        "Written off by the practice, not paid $40.00 Balance due $60.00"
    ) in statement_words(invoice)
