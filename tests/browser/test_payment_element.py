"""The checkout as it runs on real Stripe (STRIPE_ELEMENTS=payment): the Payment Element and
the Express Checkout Element, on a 360 x 740 phone, with the stand-in for Stripe.js of
tests/support/stripe_elements.js in place of js.stripe.com and localstripe behind it."""

import re
from datetime import date, datetime

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Payment
from portal.models.plan import Installment, Plan
from portal.services.billing import ledger
from tests import factories
from tests.browser import pages
from tests.conftest import _make_app
from tests.support import servers, stripe_elements
from tests.support.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.stripe]

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}
AUTH_AT_SETUP = (
    "Your bank could not confirm it was you, so the card was not saved and nothing was "
    "charged. Please try again and complete your bank's check, or use another card."
)


@pytest.fixture
def elements_app(sqlite_url, stripe_base):
    """The portal configured for real Stripe's elements; its server still talks to
    localstripe, and the browser gets the stand-in for Stripe.js."""
    app = _make_app(
        sqlite_url,
        stripe_base,
        SESSION_COOKIE_SECURE=False,
        STRIPE_ELEMENTS="payment",
        STRIPE_JS_URL=stripe_elements.STRIPE_JS,
    )
    with servers.LiveServer(app) as live, app.app_context():
        app.config["PORTAL_BASE_URL"] = live.url
        app.live_url = live.url
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def phone(open_page, elements_app):
    page = open_page(**SMALL_PHONE, locale="en-GB")
    stripe_elements.serve(page, elements_app.config["STRIPE_API_BASE"])
    return page


def open_checkout(page, app):
    invoice, token = factories.invoice_with_link(locale="en")
    pages.open_link(page, f"{app.live_url}/p/{token}")
    pages.verify(page, date(1984, 3, 9))
    pages.go_to_checkout(page)
    expect(page.locator("#payment-element input")).to_have_count(4)
    return invoice


def fill(page, number: str) -> None:
    element = page.locator("#payment-element")
    element.get_by_label("Card number").fill(number)
    element.get_by_label("Expiry").fill("12 / 34")
    element.get_by_label("Security code").fill("123")


def paid(page, invoice) -> Payment:
    expect(page).to_have_url(pages.RESULT_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    db.session.expire_all()
    assert ledger.balance(invoice.id) == 0
    return db.session.scalars(db.select(Payment).filter_by(invoice_id=invoice.id)).one()


def test_card_in_the_payment_element(elements_app, phone):
    invoice = open_checkout(phone, elements_app)
    calls = stripe_elements.calls(phone)
    assert ["elements", {
        "mode": "setup", "currency": "eur",
        "paymentMethodTypes": ["card", "sepa_debit", "link"], "locale": "en",
    }] in calls  # fmt: skip
    assert [c[1] for c in calls if c[0] == "create"] == ["payment", "expressCheckout"]
    assert phone.locator("#card-element").count() == 0  # no Card Element on real Stripe
    expect(phone.locator("#express-section")).to_be_visible()  # Google Pay is offered
    fill(phone, pages.CARD_OK)
    pages.pay(phone)
    payment = paid(phone, invoice)
    assert (payment.amount_minor, payment.method, payment.status) == (15450, "card", "succeeded")
    assert payment.method_label == "Visa •••• 4242"


def test_link_in_both_elements_and_on_the_plan(elements_app, phone):
    invoice = open_checkout(phone, elements_app)
    express = phone.locator("#express-element")
    expect(express.get_by_role("button", name="Pay with Link")).to_be_visible()
    expect(phone.locator("#payment-element").get_by_role("tab", name="link")).to_be_visible()
    plan = two_installment_plan(invoice, method="link", method_label="Link")
    phone.goto(f"{elements_app.live_url}/pay")
    expect(phone.locator(".plan-method")).to_have_text("Link")
    phone.goto(f"{elements_app.live_url}/pay/plan/pay-now?what=next")
    expect(phone.locator("#confirm-method")).to_have_text("Link")
    phone.goto(f"{elements_app.live_url}/pay/plan/card")
    expect(phone.locator("main")).to_contain_text("Now: Link. Nothing is charged now.")
    assert ["elements", {
        "mode": "setup", "currency": "eur",
        "paymentMethodTypes": ["card", "sepa_debit", "link"], "locale": "en",
    }] in stripe_elements.calls(phone)  # fmt: skip
    assert plan.method == "link"


def two_installment_plan(invoice, **values) -> Plan:
    plan = Plan(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        currency="EUR",
        status="active",
        total_minor=15450,
        down_payment_minor=0,
        installment_count=2,
        amount_financed_minor=15450,
        agreement_version="2026-11-v1",
        language="en",
        signed_at=datetime(2026, 11, 1),
        **values,
    )
    for n, due in enumerate((date(2026, 12, 1), date(2027, 1, 1))):
        plan.installments.append(Installment(sequence=n + 1, due_on=due, amount_minor=7725))
    db.session.add(plan)
    db.session.commit()
    return plan


def test_three_d_secure_at_saving_and_at_paying(elements_app, phone):
    invoice = open_checkout(phone, elements_app)
    fill(phone, pages.CARD_3DS)
    pages.pay(phone)
    pages.authenticate(phone, succeed=True)  # confirmSetup's check
    expect(phone.get_by_role("button", name="Complete authentication")).to_be_visible()
    calls = stripe_elements.calls(phone)
    setup = [c[1] for c in calls if c[0] == "confirmSetup"]
    assert setup and setup[0]["redirect"] == "if_required"
    assert setup[0]["confirmParams"]["return_url"].endswith("/pay/checkout")
    assert [c[0] for c in calls if c[0] == "submit"] == ["submit"]
    pages.authenticate(phone, succeed=True)  # handleNextAction on the PaymentIntent
    assert paid(phone, invoice).amount_minor == 15450


def test_three_d_secure_failed_while_saving(elements_app, phone):
    invoice = open_checkout(phone, elements_app)
    fill(phone, pages.CARD_3DS)
    pages.pay(phone)
    pages.authenticate(phone, succeed=False)
    expect(phone.locator("#pay-error")).to_have_text(AUTH_AT_SETUP)
    expect(phone.locator("#pay-button")).to_be_enabled()
    assert db.session.scalars(db.select(Payment).filter_by(invoice_id=invoice.id)).all() == []


def test_missing_details_are_named_before_anything_is_asked(elements_app, phone):
    invoice = open_checkout(phone, elements_app)
    phone.locator("#payment-element").get_by_label("Card number").fill(pages.CARD_OK)
    pages.pay(phone)
    expect(phone.locator("#pay-error")).to_have_text(
        "Some card details are missing. Please fill in every field."
    )
    assert not [c for c in stripe_elements.calls(phone) if c[0] == "confirmSetup"]
    assert ledger.balance(invoice.id) == 15450


def test_google_pay_in_the_express_checkout_element(elements_app, phone):
    invoice = open_checkout(phone, elements_app)
    phone.locator("#express-element").get_by_role("button", name="Google Pay").click()
    expect(phone).to_have_url(pages.RESULT_URL)
    payment = paid(phone, invoice)
    assert (payment.amount_minor, payment.method) == (15450, "card")


def test_the_wallet_sheet_is_told_when_the_payment_fails(elements_app, phone):
    invoice = open_checkout(phone, elements_app)
    with elements_app.app_context():
        ledger.post(invoice, "adjustment", 450)  # the balance changes after the page was shown
        db.session.commit()
    phone.locator("#express-element").get_by_role("button", name="Google Pay").click()
    expect(phone.locator("#pay-error")).to_have_text(
        re.compile(r"^The amount due is now €150\.00\. Please check it and confirm again\.$")
    )
    expect(phone.locator("#pay-button")).to_have_text("Pay €150.00")
    assert ["paymentFailed", {"reason": "fail"}] in stripe_elements.calls(phone)
    assert ledger.balance(invoice.id) == 15000


def test_changing_a_plans_card_in_the_payment_element(elements_app, phone):
    invoice = open_checkout(phone, elements_app)
    plan = two_installment_plan(invoice, method="sepa_debit", method_label="IBAN DE •••• 3000")
    phone.goto(f"{elements_app.live_url}/pay/plan/card")
    expect(phone.locator("main")).to_contain_text("Now: IBAN DE •••• 3000. Nothing is charged now.")
    expect(phone.locator("#amount")).to_have_count(0)
    fill(phone, pages.CARD_OK)  # the card tab: the Payment Element offers card and SEPA
    phone.get_by_role("button", name="Save the new payment method").click()
    expect(phone.locator("#saved-method")).to_have_text(
        "From now on your installments are charged to Visa •••• 4242."
    )
    db.session.expire_all()
    plan = db.session.get(Plan, plan.id)
    assert (plan.method, plan.method_label) == ("card", "Visa •••• 4242")
    assert ledger.balance(invoice.id) == 15450  # nothing charged
