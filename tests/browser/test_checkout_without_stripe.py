"""When Stripe.js does not load, Pay explains it and no payment detail reaches a URL."""

from datetime import date

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser import pages

pytestmark = [pytest.mark.browser, pytest.mark.stripe]

IBAN = "IT60X0542811101000000123456"
MESSAGE = (
    "The secure payment form could not load. Please check your connection and reload this "
    "page; if it still does not work, please contact Studio Dentistico Rossi."
)


def test_pay_with_stripe_js_blocked(live_stripe_app, page):
    _invoice, token = factories.invoice_with_link(locale="en")
    page.route("**/js.stripe.com/**", lambda route: route.abort())
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.verify(page, date(1984, 3, 9))
    pages.go_to_checkout(page)
    checkout_url = page.url
    form = page.locator("#pay-form")
    assert form.get_attribute("method") == "post"
    assert page.locator("#iban, #sepa-name, #sepa-email").evaluate_all(
        "fields => fields.map(f => f.name)"
    ) == ["", "", ""]
    page.locator("input[name=method][value=sepa_debit]").check(force=True)
    page.locator("#iban").fill(IBAN)
    page.locator("#sepa-email").fill("giulia@example.org")
    page.locator("#pay-button").click()

    expect(page.locator("#pay-error")).to_have_text(MESSAGE)
    expect(page.locator("#pay-error")).to_be_visible()
    assert page.url == checkout_url
    for url in requested:
        assert IBAN not in url and "giulia%40example.org" not in url and "iban" not in url, url
