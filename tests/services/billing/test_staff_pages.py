"""The staff invoice and patient pages as their builders return them, on SQLite and
PostgreSQL: every section's rows, in order, with the exact amounts."""

from datetime import date

from portal.extensions import db
from portal.models import Invoice
from portal.services.billing import staff_invoice_page, staff_patient_page
from portal.services.billing.staff_patient_page import PatientFiscal
from tests import factories
from tests.fiscal_factories import PATIENT_CF
from tests.web import staff_page_scenarios


def test_the_invoice_page_of_an_italian_practice_has_every_section(app):
    invoice = db.session.get(Invoice, staff_page_scenarios.build(2, "IT"))
    page = staff_invoice_page.build(invoice, date(2026, 12, 2))
    assert page.invoice is invoice and page.patient is invoice.patient
    assert [line.charged_minor for line in page.lines] == [50000, 3450]
    assert (page.summary.patient_share_minor, page.summary.paid_minor) == (53450, 4301)
    assert (page.summary.credits_minor, page.summary.balance_minor) == (200, 49249)
    amounts = [(p.amount_minor, [r.amount_minor for r in p.refunds]) for p in page.payments]
    assert amounts == [(1000, [100]), (1001, [100]), (2500, [])]
    cash = page.payments[2]
    assert [(c.payment, c.amount_minor) for c in page.credits] == [(cash, 300)]
    assert [(d.payment_id, d.amount_minor) for d in page.disputes] == [(cash.id, 500)]
    assert [(v.plan.status, v.has_agreement, len(v.plan.installments)) for v in page.plans] == [
        ("cancelled", False, 3),
        ("cancelled", False, 3),
    ]
    assert [d.subject for d in page.deliveries] == ["Message 1", "Message 0"]
    assert [e.action for e in page.timeline][-2:] == ["link.created", "hold.set"]
    assert [link.failed_checks for link in page.locked_links] == [5]
    assert page.collections.hold == "hold"
    assert [r.position for r in page.collections.reminders] == [1, 2]
    assert [c.note for c in page.collections.calls] == ["Call 0", "Call 1"]
    fiscal = page.fiscal
    assert (fiscal.italy, fiscal.statement, fiscal.codice_fiscale) == (True, False, PATIENT_CF)
    assert [d.label for d in fiscal.documents] == ["1/2026", "2/2026", "NC 1/2026"]
    assert fiscal.payments == [cash]
    # the first refund has no credit note (the second has), whatever the ids of the payments
    assert fiscal.refunds == page.payments[0].refunds


def test_offers_read_as_of_the_day_and_a_new_one_waits_for_the_open_one(app):
    invoice = db.session.get(Invoice, staff_page_scenarios.build(2, "IT"))
    before = staff_invoice_page.build(invoice, date(2026, 12, 3)).offers
    assert [(r.offer.amount_minor, r.status) for r in before.rows] == [
        (20002, "open"),
        (20001, "withdrawn"),
        (20000, "withdrawn"),
    ]
    assert (before.can_offer, before.today) == (False, date(2026, 12, 3))
    assert before.default_expires_on == date(2026, 12, 17)
    after = staff_invoice_page.build(invoice, date(2026, 12, 4)).offers
    assert [r.status for r in after.rows] == ["expired", "withdrawn", "withdrawn"]
    assert after.can_offer is True


def test_a_us_practice_offers_the_statement_and_no_fiscal_documents(app):
    invoice = db.session.get(Invoice, staff_page_scenarios.build(1, "US"))
    fiscal = staff_invoice_page.build(invoice, date(2026, 12, 2)).fiscal
    assert (fiscal.italy, fiscal.statement, fiscal.codice_fiscale) == (False, True, None)
    assert (fiscal.documents, fiscal.payments, fiscal.refunds) == ([], [], [])


def test_a_draft_has_an_empty_page_and_no_offer_to_make(app):
    patient = factories.patient(factories.practice())
    draft = factories.invoice(patient, (9000,), draft=True)
    page = staff_invoice_page.build(draft, date(2026, 12, 2))
    assert (page.summary.patient_share_minor, page.summary.balance_minor) == (9000, 0)
    assert (page.payments, page.plans, page.deliveries, page.credits) == ([], [], [], [])
    assert (page.offers.rows, page.offers.can_offer) == ([], False)
    assert page.collections.hold is None
    assert page.fiscal == staff_invoice_page.FiscalPanel(False, [], [], [], None, False)


def test_the_patient_page_lists_invoices_and_consents_newest_first(app):
    invoice = db.session.get(Invoice, staff_page_scenarios.build(2, "IT"))
    second = factories.invoice(invoice.patient, (7000,), number="2026-0002")
    page = staff_patient_page.build(invoice.patient)
    assert page.invoices == [second, invoice]
    assert [(r.granted, r.text_shown) for r in page.consent_history] == [
        (False, "Consent text 1"),
        (True, "Consent text 0"),
    ]
    assert page.fiscal == PatientFiscal(italy=True, codice_fiscale=PATIENT_CF)
    us = db.session.get(Invoice, staff_page_scenarios.build(1, "US"))
    assert staff_patient_page.build(us.patient).fiscal == PatientFiscal(False, None)
