"""On a 360 x 740 phone against localstripe: a session that ended while the checkout was open,
or before the next page load, says so and leads back in; a 3-D Secure check failed while
saving the card says so."""

from datetime import date

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Payment
from portal.services.billing import ledger
from tests import factories
from tests.browser import pages
from tests.browser.test_plan_journey import assert_accessible
from tests.support.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.stripe]

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}
ENDED = (
    "For your security, your session ended after a while without activity. Nothing was "
    "charged. Open your bill again to continue."
)
AUTH_AT_SETUP = (
    "Your bank could not confirm it was you, so the card was not saved and nothing was "
    "charged. Please try again and complete your bank's check, or use another card."
)


@pytest.fixture
def phone(open_page):
    return open_page(**SMALL_PHONE, locale="en-GB")


def open_checkout(page, base: str):
    invoice, token = factories.invoice_with_link(locale="en")
    pages.open_link(page, f"{base}/p/{token}")
    pages.verify(page, date(1984, 3, 9))
    pages.go_to_checkout(page)
    return invoice


def test_a_session_that_ended_while_paying_leads_back_in(live_stripe_app, phone):
    invoice = open_checkout(phone, live_stripe_app.live_url)
    pages.fill_card(phone, pages.CARD_OK)
    expect(phone.get_by_role("button", name="Open your bill again")).to_be_hidden()
    phone.context.clear_cookies()  # 30 minutes later the browser has dropped the session
    pages.pay(phone)
    expect(phone.locator("#pay-error")).to_have_text(ENDED)
    back = phone.get_by_role("button", name="Open your bill again")
    expect(back).to_be_visible()
    expect(back).to_be_in_viewport()
    expect(phone.locator("#pay-button")).to_be_disabled()  # nothing more to try here
    assert_accessible(phone, "checkout after the session ended")
    assert db.session.scalars(db.select(Payment).filter_by(invoice_id=invoice.id)).all() == []

    back.click()
    expect(phone).to_have_url(pages.VERIFY_URL)
    pages.verify(phone, date(1984, 3, 9))
    pages.go_to_checkout(phone)
    pages.fill_card(phone, pages.CARD_OK)
    pages.pay(phone)
    expect(phone).to_have_url(pages.RESULT_URL)
    db.session.expire_all()
    assert ledger.balance(invoice.id) == 0


@pytest.mark.parametrize(
    "locale, accept, back_label, born_label",
    [
        ("en", "en-GB", "Open your bill again", "Date of birth"),
        ("it", "it-IT", "Riapra la fattura", "Data di nascita"),
    ],
)
def test_a_session_that_ended_before_a_page_load_leads_back_in(
    live_stripe_app, open_page, locale, accept, back_label, born_label
):
    phone = open_page(**SMALL_PHONE, locale=accept)
    invoice, token = factories.invoice_with_link(locale=locale)
    pages.open_link(phone, f"{live_stripe_app.live_url}/p/{token}")
    pages.verify(phone, date(1984, 3, 9))
    phone.context.clear_cookies(name="session")  # dropped after 30 minutes; the note stays
    phone.reload()
    back = phone.get_by_role("button", name=back_label)
    expect(back).to_be_visible()
    expect(back).to_be_in_viewport()
    assert_accessible(phone, f"session ended page ({locale})")
    back.click()
    expect(phone).to_have_url(pages.VERIFY_URL)
    expect(phone.locator("main")).to_contain_text(born_label)
    pages.verify(phone, date(1984, 3, 9))
    expect(phone.locator("#amount-due")).to_be_visible()
    assert invoice.number in phone.locator("main").inner_text()


def test_three_d_secure_failed_while_saving_the_card(live_stripe_app, phone):
    invoice = open_checkout(phone, live_stripe_app.live_url)
    pages.fill_card(phone, pages.CARD_3DS)
    pages.pay(phone)
    pages.authenticate(phone, succeed=False)
    expect(phone.locator("#pay-error")).to_have_text(AUTH_AT_SETUP)
    expect(phone.locator("#pay-button")).to_be_enabled()
    assert db.session.scalars(db.select(Payment).filter_by(invoice_id=invoice.id)).all() == []
    # the same card, this time with the check completed, pays
    pages.pay(phone)
    pages.authenticate(phone, succeed=True)
    pages.authenticate(phone, succeed=True)
    expect(phone).to_have_url(pages.RESULT_URL)
