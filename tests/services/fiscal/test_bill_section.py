"""The fiscal section of the patient's bill, as `BillPage.fiscal` carries it, on SQLite and
PostgreSQL."""

from portal.extensions import db
from portal.models import Invoice
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import bill_section, opposition
from portal.services.fiscal.bill_section import BillFiscal
from tests import factories
from tests.web import staff_page_scenarios


def test_an_italian_bill_lists_its_documents_and_the_patient_s_choice(app):
    invoice = db.session.get(Invoice, staff_page_scenarios.build(2, "IT"))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        fiscal = bill_section.of_bill(invoice)
        assert fiscal.notice.startswith("You may oppose the transmission of this expense")
        opposition.record(invoice, True, fiscal.notice, "en", SYSTEM)
        db.session.commit()
        opposed = bill_section.of_bill(invoice)
    assert [d.label for d in fiscal.documents] == ["1/2026", "2/2026", "NC 1/2026"]
    assert (fiscal.italy, fiscal.has_codice_fiscale, fiscal.statement) == (True, True, False)
    assert (fiscal.opposed, opposed.opposed) == (False, True)


def test_outside_italy_only_a_us_practice_offers_the_statement(app):
    us = db.session.get(Invoice, staff_page_scenarios.build(1, "US"))
    plain = factories.invoice(factories.patient(factories.practice()), number="2026-0009")
    assert bill_section.of_bill(us) == BillFiscal(False, [], False, False, "", True)
    assert bill_section.of_bill(plain) == BillFiscal(False, [], False, False, "", False)
