"""The patient's journey on a phone in Chromium: link, date of birth, bill, card, 3-D Secure."""

import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Payment
from portal.patient.messages import failure, refusal
from portal.services.access import links
from portal.services.billing import ledger
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.browser import pages

pytestmark = [pytest.mark.browser, pytest.mark.stripe]

GIULIA_BORN = date(1984, 3, 9)
WRONG_DETAILS = "These details do not match our records. Please check them and try again."


def us_invoice_with_link():
    """An English-speaking patient of a US practice (dates month first, dollars, cards only)."""
    practice = factories.practice(
        slug="bright-smile", name="Bright Smile Dental", phone="+1 212 555 0100", **factories.USA
    )
    patient = factories.patient(
        practice,
        first_name="Emily",
        last_name="Carter",
        date_of_birth=date(1990, 7, 4),
        email="emily@example.org",
        locale="en",
    )
    invoice = factories.invoice(patient, amounts=(12000, 3450))
    _, token = links.issue(invoice, SYSTEM)
    db.session.commit()
    return invoice, token


def test_english_journey_with_3d_secure(live_stripe_app, page):
    invoice, token = us_invoice_with_link()

    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.expect_lang(page, "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    # A US practice asks for the month first.
    expect(page.locator(".dob label").first).to_have_text("Month")
    pages.verify(page, date(1990, 7, 4))

    expect(page.get_by_role("heading", level=1)).to_have_text("Your bill")
    expect(page.locator(".totals .balance dd")).to_have_text("$154.50")
    expect(page.get_by_role("link", name="Pay in full · $154.50")).to_be_visible()
    pages.go_to_checkout(page)

    expect(page.locator("#amount")).to_have_text("$154.50")
    expect(page.get_by_role("radio")).to_have_count(0)  # cards only outside the euro area
    pages.fill_card(page, pages.CARD_3DS)
    pages.pay(page)
    pages.authenticate(page, succeed=True)  # saving the card (SetupIntent)
    pages.authenticate(page, succeed=True)  # the payment itself (PaymentIntent)

    expect(page).to_have_url(pages.RESULT_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    expect(page.locator(".totals")).to_contain_text("$154.50")
    expect(page.locator(".totals .balance dd")).to_have_text("$0.00")

    page.get_by_role("link", name="Back to your bill").click()
    expect(page).to_have_url(pages.INVOICE_URL)
    expect(page.get_by_role("status")).to_contain_text("Paid in full")
    expect(page.get_by_role("link", name=re.compile(r"^Pay in full"))).to_have_count(0)
    receipt = page.get_by_role("link", name=re.compile(r"^Receipt .+ \(PDF\)$"))
    expect(receipt).to_have_count(1)

    response = page.request.get(receipt.evaluate("a => a.href"))
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    db.session.expire_all()
    assert ledger.balance(invoice.id) == 0


def test_italian_journey_after_a_wrong_date_of_birth(live_stripe_app, page):
    invoice, token = factories.invoice_with_link()  # Giulia Bianchi, Italian, Studio Rossi
    with force_locale("it"):
        wrong_details = gettext(WRONG_DETAILS)  # whatever the Italian catalog says

    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.expect_lang(page, "it")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confermi la Sua identità")
    expect(page.locator(".dob label").first).to_have_text("Giorno")

    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        pages.enter_date_of_birth(page, date(1984, 9, 3))  # day and month swapped
    assert answer.value.status == 422
    expect(page).to_have_url(pages.VERIFY_URL)
    expect(page.get_by_role("alert")).to_have_text(wrong_details)
    expect(page.get_by_label(pages.DAY)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label(pages.DAY)).to_have_attribute(
        "aria-describedby", re.compile("dob-error")
    )

    pages.verify(page, GIULIA_BORN)
    pages.expect_lang(page, "it")
    expect(page.get_by_role("heading", level=1)).to_have_text("La Sua fattura")
    # Italian formatting: decimal comma, no-break space before the euro sign.
    expect(page.locator(".totals .balance dd")).to_have_text("154,50 €")
    assert "154,50\xa0€" in pages.main_text(page)
    assert "120,00\xa0€" in pages.main_text(page)
    pages.screenshot(page, "it-invoice")
    pages.go_to_checkout(page)

    pages.expect_lang(page, "it")
    assert "154,50\xa0€" in (page.locator("#pay-button").text_content() or "")
    expect(page.get_by_role("radio")).to_have_count(2)
    expect(page.get_by_role("radio").first).to_be_checked()
    pages.fill_card(page, pages.CARD_OK)
    pages.screenshot(page, "it-checkout")
    pages.pay(page)

    expect(page).to_have_url(pages.RESULT_URL)
    pages.expect_lang(page, "it")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagamento ricevuto")
    expect(page.locator(".notice.ok")).to_be_visible()
    expect(page.locator(".totals .balance dd")).to_have_text("0,00 €")
    pages.screenshot(page, "it-result")

    db.session.expire_all()
    assert ledger.balance(invoice.id) == 0
    paid = db.session.scalars(db.select(Payment).filter_by(invoice_id=invoice.id)).one()
    assert (paid.status, paid.amount_minor, paid.currency) == ("succeeded", 15450, "EUR")


def test_expired_link(live_stripe_app, page):
    invoice, _ = factories.invoice_with_link()
    _, token = links.issue(invoice, SYSTEM, lifetime=timedelta(seconds=-1))
    db.session.commit()

    response = page.goto(f"{live_stripe_app.live_url}/p/{token}")
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired")
    expect(page.get_by_role("main").get_by_role("link", name="+39 06 5550 1234")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Pay"))).to_have_count(0)


@pytest.mark.parametrize("locale", ["en", "it"])
def test_failed_3d_secure_leaves_the_balance(live_stripe_app, page, locale):
    invoice, token = factories.invoice_with_link(locale=locale)
    with force_locale(locale):
        message = failure("payment_intent_authentication_failure")

    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.verify(page, GIULIA_BORN)
    pages.go_to_checkout(page)
    pages.fill_card(page, pages.CARD_3DS)
    pages.pay(page)
    pages.authenticate(page, succeed=True)  # the card is saved...
    pages.authenticate(page, succeed=False)  # ...but the bank's check of the payment fails

    error = page.locator("#pay-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(message)
    expect(error).to_be_focused()
    expect(page).to_have_url(pages.CHECKOUT_URL)
    expect(page.locator("#pay-button")).to_be_enabled()
    pages.expect_lang(page, locale)

    db.session.expire_all()
    assert ledger.balance(invoice.id) == 15450
    payment = db.session.scalars(db.select(Payment).filter_by(invoice_id=invoice.id)).one()
    assert payment.status == "failed"

    # Trying again on the same page with another card goes through.
    pages.fill_card(page, pages.CARD_OK)
    pages.pay(page)
    expect(page).to_have_url(pages.RESULT_URL)
    expect(page.locator(".notice.ok")).to_be_visible()
    db.session.expire_all()
    assert ledger.balance(invoice.id) == 0


def test_language_switch_keeps_the_page(live_stripe_app, page):
    _, token = factories.invoice_with_link()  # an Italian patient

    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.expect_lang(page, "it")
    page.get_by_role("navigation").get_by_role("link", name="English").click()
    expect(page).to_have_url(pages.VERIFY_URL)
    pages.expect_lang(page, "en")
    expect(page.get_by_role("navigation").get_by_role("link", name="Italiano")).to_be_visible()

    pages.verify(page, GIULIA_BORN)  # the choice survives the date-of-birth check
    pages.expect_lang(page, "en")
    expect(page.locator(".totals .balance dd")).to_have_text("€154.50")
    pages.screenshot(page, "en-invoice")

    page.get_by_role("navigation").get_by_role("link", name="Italiano").click()
    expect(page).to_have_url(pages.INVOICE_URL)
    pages.expect_lang(page, "it")
    assert "154,50\xa0€" in pages.main_text(page)


def test_declined_card_keeps_the_balance(live_stripe_app, page):
    invoice, token = factories.invoice_with_link()
    with force_locale("it"):
        message = refusal("declined", "card_declined")

    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.verify(page, GIULIA_BORN)
    pages.go_to_checkout(page)
    pages.fill_card(page, pages.CARD_DECLINED_ON_CHARGE)
    pages.pay(page)

    expect(page.locator("#pay-error")).to_have_text(message)
    expect(page).to_have_url(pages.CHECKOUT_URL)
    expect(page.locator("#pay-button")).to_be_enabled()
    db.session.expire_all()
    assert ledger.balance(invoice.id) == 15450


def test_sepa_debit(live_stripe_app, page):
    invoice, token = factories.invoice_with_link()

    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.verify(page, GIULIA_BORN)
    pages.go_to_checkout(page)
    page.locator("input[name=method][value=sepa_debit]").check()
    expect(page.locator("#card-section")).to_be_hidden()
    expect(page.get_by_label("IBAN", exact=True)).to_be_visible()
    page.get_by_label("IBAN", exact=True).fill("IT60 X054 2811 1010 0000 0123 456")
    pages.pay(page)

    expect(page).to_have_url(pages.RESULT_URL)
    pages.screenshot(page, "it-sepa-result")
    db.session.expire_all()
    payment = db.session.scalars(db.select(Payment).filter_by(invoice_id=invoice.id)).one()
    assert (payment.method, payment.amount_minor) == ("sepa_debit", 15450)
    assert payment.status in ("processing", "succeeded"), payment.status
