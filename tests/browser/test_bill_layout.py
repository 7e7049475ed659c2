"""What a phone shows first: on 360x740 and 390x844 screens the bill's first screen holds the
practice, the amount due, the due date, the discount deadline and the two actions; a plan
patient sees the plan's status, next charge and actions; the agreement is one readable page
with its disclosures above the sign button. Checked by bounding boxes against the viewport."""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages
from tests.browser.test_plan_journey import (
    choose_plan,
    consent,
    english_patient,
    go_to_plans,
    open_bill,
)
from tests.web import bill_scenarios

pytestmark = [pytest.mark.browser, pytest.mark.stripe]

SCREENS = [{"width": 360, "height": 740}, {"width": 390, "height": 844}]
BORN = date(1984, 3, 9)


def in_first_screen(page: Page, selector: str) -> dict:
    """The box of `selector`, asserted to lie wholly inside the first screen (no scrolling)."""
    box = page.evaluate(
        """s => { const r = document.querySelector(s).getBoundingClientRect();
                  return {top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left,
                          right: r.right, width: r.width, height: r.height,
                          vw: innerWidth, vh: innerHeight}; }""",
        selector,
    )
    assert box["height"] > 0, f"{selector} is not shown: {box}"
    assert box["bottom"] <= box["vh"] and box["right"] <= box["vw"], f"{selector}: {box}"
    return box


def open_scenario(page: Page, base: str, kind: str, locale: str, screen: dict) -> None:
    _, token = bill_scenarios.build(kind, locale=locale)
    page.set_viewport_size(screen)
    pages.open_link(page, f"{base}/p/{token}")
    pages.verify(page, BORN)
    page.evaluate("() => window.scrollTo(0, 0)")


@pytest.mark.parametrize("screen", SCREENS, ids=["360x740", "390x844"])
@pytest.mark.parametrize("locale", ["en", "it"])
def test_the_first_screen_holds_the_amount_and_both_actions(
    live_stripe_app, new_phone_page, screen, locale
):
    page = new_phone_page("en-GB" if locale == "en" else "it-IT")
    open_scenario(page, live_stripe_app.live_url, "incentives", locale, screen)
    expect(page.locator(".brand")).to_have_text("Studio Dentistico Rossi")
    in_first_screen(page, ".brand")
    expect(page.locator("#amount-due .big")).to_have_text(re.compile(r"354[.,]50"))
    amount = in_first_screen(page, "#amount-due")
    due = in_first_screen(page, "#due-date")
    discount = in_first_screen(page, "#early-discount")
    pay = in_first_screen(page, "#pay-in-full")
    plan = in_first_screen(page, "#plan-button")
    assert amount["bottom"] <= due["top"] <= discount["top"] < pay["top"] < plan["top"]
    assert pay["height"] >= 44 and plan["height"] >= 44
    # the lines follow, folded: their summary is on the page, the lines open on a tap
    lines = page.locator("#items .line")
    expect(lines).to_have_count(3)
    expect(lines.first).to_be_hidden()
    items = page.evaluate("() => document.querySelector('#items').getBoundingClientRect().top")
    assert items + page.evaluate("scrollY") > plan["bottom"]
    page.locator("#items summary").click()
    expect(lines.first).to_be_visible()
    pages.screenshot(page, f"{locale}-{screen['width']}-first-screen")


@pytest.mark.parametrize("screen", SCREENS, ids=["360x740", "390x844"])
def test_a_plan_patient_sees_the_plan_and_its_actions_first(live_stripe_app, page, screen):
    open_scenario(page, live_stripe_app.live_url, "plan", "en", screen)
    expect(page.locator("#plan-status strong")).to_have_text("Active")
    status = in_first_screen(page, "#plan-status")
    expect(page.locator("#next-charge")).to_have_text("Next charge: €55.00 on December 23, 2026")
    charge = in_first_screen(page, "#next-charge")
    pay_next = in_first_screen(page, "#plan-actions a[href*='what=next']")
    pay_rest = in_first_screen(page, "#plan-actions a[href*='what=rest']")
    assert status["bottom"] <= charge["top"] < pay_next["top"] < pay_rest["top"]
    # the schedule and the invoice lines come after the actions, folded
    expect(page.locator("#plan-schedule tbody tr").first).to_be_hidden()
    page.locator("#plan-schedule summary").click()
    expect(page.locator("#plan-schedule tbody tr")).to_have_count(3)
    expect(page.locator("#plan-schedule tbody tr").first).to_be_visible()


def test_the_agreement_reads_as_one_page_with_the_box_and_schedule_before_signing(
    live_stripe_app, page
):
    page.set_viewport_size(SCREENS[0])
    who = english_patient()  # a US plan of six installments: the Truth in Lending box
    open_bill(page, live_stripe_app.live_url, who)
    go_to_plans(page, who)
    choose_plan(page, who, 6)
    consent(page, who)
    document = page.locator("main .document")
    scrolling = document.evaluate(
        """d => [d, ...d.querySelectorAll('*')].filter(e => {
                 const s = getComputedStyle(e);
                 return ['auto', 'scroll'].includes(s.overflowY) && e.scrollHeight > e.clientHeight;
               }).length"""
    )
    assert scrolling == 0
    top = "e => e.getBoundingClientRect().top + window.scrollY"
    tila = document.locator("table.tila").evaluate(top)
    schedule = document.locator("table.schedule").evaluate(top)
    end = document.evaluate("d => d.getBoundingClientRect().bottom + window.scrollY")
    sign = page.get_by_role("button", name="Sign the agreement").evaluate(top)
    assert max(tila, schedule) < end < sign
    expect(document.locator("table.tila")).to_be_visible()
