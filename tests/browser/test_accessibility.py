"""axe-core on every patient page in both languages, and no sideways scrolling on a small phone."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.services.access import links
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.browser import pages
from tests.support.axe import Axe

pytestmark = [pytest.mark.browser, pytest.mark.stripe]

BORN = date(1984, 3, 9)
WRONG = date(1984, 9, 3)
BLOCKING = {"serious", "critical"}

axe = Axe()


def assert_accessible(page: Page, where: str, context=None) -> None:
    results = axe.run(page, context=context)
    problems = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in problems
    )
    assert not problems, f"axe on the {where} page ({page.url}):\n{report}"


@pytest.mark.parametrize("lang", ["en", "it"])
def test_every_patient_page_passes_axe(live_stripe_app, new_phone_page, lang):
    # The phone speaks the patient's language: it decides pages shown before the link is known.
    page = new_phone_page("en-GB" if lang == "en" else "it-IT")
    invoice, token = factories.invoice_with_link(locale=lang)
    base = live_stripe_app.live_url

    pages.open_link(page, f"{base}/p/{token}")
    pages.expect_lang(page, lang)
    assert_accessible(page, "verify")

    pages.enter_date_of_birth(page, WRONG)
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "verify with an error")
    pages.screenshot(page, f"{lang}-verify-error")

    pages.verify(page, BORN)
    assert_accessible(page, "invoice")

    pages.go_to_checkout(page)
    expect(page.locator("#card-element input")).to_have_count(5)
    assert_accessible(page, "checkout (card)")
    page.locator("input[name=method][value=sepa_debit]").check()
    expect(page.locator("#sepa-section")).to_be_visible()
    assert_accessible(page, "checkout (SEPA)")
    page.locator("#pay-button").click()  # no IBAN: the page's own error message
    expect(page.locator("#pay-error")).to_be_visible()
    assert_accessible(page, "checkout (SEPA, error)")
    pages.screenshot(page, f"{lang}-checkout-sepa-error")
    page.locator("input[name=method][value=card]").check()
    expect(page.locator("#card-section")).to_be_visible()

    pages.fill_card(page, pages.CARD_OK)
    pages.pay(page)
    expect(page).to_have_url(pages.RESULT_URL)
    assert_accessible(page, "payment result")
    pages.screenshot(page, f"{lang}-result")

    page.locator("main a[href$='/pay']").click()
    expect(page.locator(".notice.ok")).to_be_visible()
    assert_accessible(page, "paid invoice")

    page.goto(f"{base}/pay/checkout")
    expect(page.locator("main a[href$='/pay']")).to_be_visible()
    assert_accessible(page, "nothing to pay")

    _, expired = links.issue(invoice, SYSTEM, lifetime=timedelta(seconds=-1))
    _, fresh = links.issue(invoice, SYSTEM)
    db.session.commit()

    response = page.goto(f"{base}/p/{expired}")
    assert response is not None and response.status == 410
    pages.expect_lang(page, lang)
    assert_accessible(page, "expired link")
    pages.screenshot(page, f"{lang}-expired")

    pages.open_link(page, f"{base}/p/{fresh}")
    for _ in range(5):
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            pages.enter_date_of_birth(page, WRONG)
        if answer.value.status == 429:
            break
    assert answer.value.status == 429
    pages.expect_lang(page, lang)
    assert_accessible(page, "locked")
    pages.screenshot(page, f"{lang}-locked")

    response = page.goto(f"{base}/p/{'x' * 43}")
    assert response is not None and response.status == 404
    pages.expect_lang(page, lang)
    assert_accessible(page, "unknown link")

    page.context.clear_cookies()
    response = page.goto(f"{base}/pay")
    assert response is not None and response.status == 401
    pages.expect_lang(page, lang)
    assert_accessible(page, "session ended")


@pytest.mark.parametrize("locale", ["en", "it"])
def test_no_sideways_scrolling_at_360px(live_stripe_app, page, locale):
    practice = factories.practice(
        name="Studio Dentistico Associato Dott.ssa Mariagrazia Rossi e Dott. Bianchi"
    )
    patient = factories.patient(
        practice, locale=locale, first_name="Maria Alessandra Francesca", last_name="Bianchi"
    )
    invoice = factories.invoice(patient, amounts=(123456789, 3450))
    _, token = links.issue(invoice, SYSTEM)
    db.session.commit()
    page.set_viewport_size({"width": 360, "height": 740})
    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.verify(page, BORN)
    assert_fits(page, "invoice")
    pages.screenshot(page, f"{locale}-360-invoice")

    pages.go_to_checkout(page)
    expect(page.locator("#card-element input")).to_have_count(5)
    assert_fits(page, "checkout (card)")
    page.locator("input[name=method][value=sepa_debit]").check()
    expect(page.locator("#sepa-section")).to_be_visible()
    assert_fits(page, "checkout (SEPA)")
    pages.screenshot(page, f"{locale}-360-checkout-sepa")


def assert_fits(page: Page, where: str) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the {where} page scrolls sideways: {widths}"
