"""Steps of the patient's journey, shared by the browser tests."""

import os
import re
from datetime import date
from pathlib import Path

from playwright.sync_api import Page, expect

# Labels in English or Italian, so the tests hold while the Italian catalog is being written.
DAY = re.compile(r"^(Day|Giorno)$")
MONTH = re.compile(r"^(Month|Mese)$")
YEAR = re.compile(r"^(Year|Anno)$")

VERIFY_URL = re.compile(r"/pay/verify$")
INVOICE_URL = re.compile(r"/pay$")
CHECKOUT_URL = re.compile(r"/pay/checkout$")
RESULT_URL = re.compile(r"/pay/payments/\d+$")

CARD_OK = "4242424242424242"
CARD_3DS = "4000002760003184"
CARD_DECLINED_ON_CHARGE = "4000000000000341"  # saved fine, refused when charged

SHOTS = os.environ.get("SALDO_SCREENSHOTS")  # a folder: save screenshots there when set


def screenshot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def open_link(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, response and response.status
    expect(page).to_have_url(VERIFY_URL)


def enter_date_of_birth(page: Page, born: date) -> None:
    page.get_by_label(DAY).fill(str(born.day))
    page.get_by_label(MONTH).fill(str(born.month))
    page.get_by_label(YEAR).fill(str(born.year))
    page.locator("main form button[type=submit]").click()


def verify(page: Page, born: date) -> None:
    enter_date_of_birth(page, born)
    expect(page).to_have_url(INVOICE_URL)


def go_to_checkout(page: Page) -> None:
    page.locator("main a.button.primary[href$='/pay/checkout']").click()
    expect(page).to_have_url(CHECKOUT_URL)


def fill_card(page: Page, number: str) -> None:
    card = page.locator("#card-element")
    card.get_by_placeholder("number", exact=True).fill(number)
    card.get_by_placeholder("exp_month", exact=True).fill("12")
    card.get_by_placeholder("exp_year", exact=True).fill("34")
    card.get_by_placeholder("cvc", exact=True).fill("123")
    card.get_by_placeholder("postal_code", exact=True).fill("00184")


def pay(page: Page) -> None:
    page.locator("#pay-button").click()


def authenticate(page: Page, succeed: bool) -> None:
    """Answer the 3-D Secure dialog of the localstripe shim."""
    name = "Complete authentication" if succeed else "Fail authentication"
    page.get_by_role("button", name=name).click()


def expect_lang(page: Page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)


def main_text(page: Page) -> str:
    """The main content as the DOM holds it (no-break spaces kept, unlike expect's matching)."""
    return page.locator("main").text_content() or ""
