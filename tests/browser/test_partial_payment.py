"""Paying part of a bill on a phone against localstripe: the amount typed on the bill, a
refusal below the practice's minimum, then the card charged exactly the part."""

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Payment
from portal.services.billing import ledger
from tests import factories
from tests.browser import pages
from tests.browser.test_patient_journey import GIULIA_BORN

pytestmark = [pytest.mark.browser, pytest.mark.stripe]


def test_pay_part_of_the_bill_in_italian(live_stripe_app, page):
    invoice, token = factories.invoice_with_link()  # Giulia Bianchi owes 154,50 €
    invoice.practice.partial_payment_minimum_minor = 2000
    db.session.commit()

    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.verify(page, GIULIA_BORN)
    part = page.locator("#partial-payment")
    part.locator("summary").click()
    expect(part.locator("#part-hint")).to_have_text("Da 20,00 € fino a 154,50 €.")
    part.get_by_label("Importo (EUR)").fill("15")
    part.locator("button[type=submit]").click()
    expect(page.locator("#part-error")).to_have_text("Inserisca almeno 20,00 €.")
    expect(page.get_by_label("Importo (EUR)")).to_have_value("15")
    expect(page.get_by_label("Importo (EUR)")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Importo (EUR)").fill("50,25")
    page.locator("#partial-payment button[type=submit]").click()
    expect(page.locator("#amount")).to_have_text("50,25 €")
    expect(page.locator("main")).to_contain_text("Ora paga 50,25 €; restano da pagare 104,25 €.")
    pages.fill_card(page, pages.CARD_OK)
    pages.pay(page)

    expect(page).to_have_url(pages.RESULT_URL)
    expect(page.locator(".totals .balance dd")).to_have_text("104,25 €")
    page.locator("main a[href$='/pay']").last.click()
    expect(page.locator("#amount-due .big")).to_have_text("104,25 €")
    expect(page.locator("#pay-in-full")).to_contain_text("104,25 €")

    db.session.expire_all()
    assert ledger.balance(invoice.id) == 10425
    paid = db.session.scalars(db.select(Payment).filter_by(invoice_id=invoice.id)).one()
    assert (paid.status, paid.amount_minor, paid.purpose) == ("succeeded", 5025, "partial")
