"""The checkout charges only the amount the patient saw: a changed balance asks again."""

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Payment
from portal.services.billing import ledger
from tests import factories
from tests.browser import pages
from tests.browser.test_patient_journey import GIULIA_BORN

pytestmark = [pytest.mark.browser, pytest.mark.stripe]


def test_a_balance_raised_after_the_page_was_shown_is_confirmed_first(live_stripe_app, page):
    invoice, token = factories.invoice_with_link(amounts=(17500,), locale="en")
    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.verify(page, GIULIA_BORN)
    pages.go_to_checkout(page)
    expect(page.locator("#amount")).to_have_text("€175.00")

    ledger.post(invoice, "charge", 10000, memo="a line added at the desk")
    db.session.commit()
    pages.fill_card(page, pages.CARD_OK)
    pages.pay(page)

    error = page.locator("#pay-error")
    expect(error).to_have_text("The amount due is now €275.00. Please check it and confirm again.")
    expect(page.locator("#amount")).to_have_text("€275.00")
    expect(page.locator("#pay-button")).to_have_text("Pay €275.00")
    db.session.expire_all()
    assert db.session.scalars(db.select(Payment)).all() == []

    pages.pay(page)
    expect(page).to_have_url(pages.RESULT_URL)
    expect(page.locator(".notice.ok")).to_be_visible()
    db.session.expire_all()
    assert [p.amount_minor for p in db.session.scalars(db.select(Payment))] == [27500]
    assert ledger.balance(invoice.id) == 0
