"""On a phone in Chromium: the patient accepts a settlement offer from the bill and pays it."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import LedgerEntry, Payment, SettlementOffer, StaffUser
from portal.services.billing import ledger
from portal.services.core.audit import Actor
from portal.services.incentives import settlements
from tests import factories
from tests.browser import pages
from tests.browser.test_accessibility import assert_accessible
from tests.web.staff_client import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.stripe]

GIULIA_BORN = date(1984, 3, 9)
SETTLEMENT_URL = re.compile(r"/pay/settlement/\d+$")


def offered(invoice, amount_minor, days=7):
    """Staff offer to settle `invoice` for `amount_minor`, valid `days` days from today."""
    today = datetime.now(ZoneInfo(invoice.practice.timezone)).date()
    clerk = db.session.scalar(db.select(StaffUser).filter_by(practice_id=invoice.practice_id))
    clerk = clerk or make_staff(invoice.practice, "billing")
    offer = settlements.offer_settlement(
        invoice,
        amount_minor,
        today + timedelta(days=days),
        Actor("staff", str(clerk.id)),
        today,
    )
    db.session.commit()
    return offer


def test_patient_accepts_a_settlement_offer_and_pays_it(live_stripe_app, page):
    invoice, token = factories.invoice_with_link(locale="en")  # €154.50, Studio Rossi
    offer = offered(invoice, 10000)

    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.verify(page, GIULIA_BORN)
    expect(page.locator(".totals .balance dd")).to_have_text("€154.50")
    box = page.locator("#settlement-offer")
    expect(box).to_contain_text(re.compile(r"Settle for €100\.00 by \w+"))
    expect(box).to_contain_text("the remaining €54.50 is forgiven")
    assert_accessible(page, "invoice with a settlement offer")
    pages.screenshot(page, "en-invoice-settlement")

    box.get_by_role("link", name="Settle for €100.00").click()
    expect(page).to_have_url(SETTLEMENT_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Settle your bill")
    expect(page.locator("#amount")).to_have_text("€100.00")
    expect(page.locator("#pay-button")).to_have_text("Pay €100.00")
    assert_accessible(page, "settlement checkout")
    pages.fill_card(page, pages.CARD_OK)
    pages.pay(page)

    expect(page).to_have_url(pages.RESULT_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    expect(page.locator(".totals")).to_contain_text("€100.00")
    expect(page.locator(".totals .balance dd")).to_have_text("€0.00")
    pages.screenshot(page, "en-result-settlement")

    page.get_by_role("link", name="Back to your bill").click()
    expect(page).to_have_url(pages.INVOICE_URL)
    expect(page.get_by_role("status")).to_contain_text("Paid in full")
    expect(page.locator("#settlement-offer")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^Pay"))).to_have_count(0)

    db.session.expire_all()
    assert ledger.balance(invoice.id) == 0
    assert db.session.get(type(invoice), invoice.id).status == "paid"
    query = db.select(LedgerEntry).filter_by(invoice_id=invoice.id).order_by(LedgerEntry.id)
    entries = [(e.kind, e.amount_minor) for e in db.session.scalars(query)]
    assert entries == [("charge", 15450), ("payment", -10000), ("settlement", -5450)]
    payment = db.session.scalars(db.select(Payment).filter_by(invoice_id=invoice.id)).one()
    assert (payment.status, payment.amount_minor, payment.purpose) == (
        "succeeded",
        10000,
        "settlement",
    )
    accepted = db.session.get(SettlementOffer, offer.id)
    assert (accepted.status, accepted.payment_id) == ("accepted", payment.id)

    # The offer's link, opened again (a second tab, the back button), takes no more money.
    response = page.goto(f"{live_stripe_app.live_url}/pay/settlement/{offer.id}")
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Offer no longer available")


def test_italian_patient_sees_the_offer_in_italian(live_stripe_app, new_phone_page):
    page = new_phone_page("it-IT")
    invoice, token = factories.invoice_with_link(locale="it")
    offered(invoice, 10000)
    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.verify(page, GIULIA_BORN)
    pages.expect_lang(page, "it")
    text = pages.main_text(page)
    assert "100,00\xa0€" in text and "54,50\xa0€" in text
    assert_accessible(page, "invoice with a settlement offer (it)")
    pages.screenshot(page, "it-invoice-settlement")
