"""What axe does not measure, on every patient page in Chromium: a focus ring of at least 3:1
against what is behind it, targets of at least 24 by 24 px, reflow at 320 px without
sideways scrolling, and 200% zoom without an amount or a button running out of its box.

Zoom is what browser zoom does to a 390 x 844 phone of device pixel ratio 3: the CSS
viewport halves (195 x 422) and the device pixel ratio doubles (6), checked inside each
page."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import PlanPolicy
from portal.services.access import links
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.browser import pages
from tests.browser.test_accessibility import assert_accessible
from tests.support.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.stripe]

BORN = date(1984, 3, 9)
REFLOW = {"width": 320, "height": 640}
ZOOMED = {
    **PHONE,
    "viewport": {
        "width": PHONE["viewport"]["width"] // 2,
        "height": PHONE["viewport"]["height"] // 2,
    },
    "device_scale_factor": PHONE["device_scale_factor"] * 2,
}

# Runs in the page: the checks below, each returning a list of what is wrong.
_SCRIPT = """
(() => {
  const lum = c => { const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(v => {
      v = v / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05); };
  const opaque = c => c && !/rgba\\(.*, 0\\)$/.test(c) && c !== "transparent";
  const behind = e => { for (let n = e.parentElement; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor; if (opaque(c)) return c; }
    return "rgb(255, 255, 255)"; };
  const shown = e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" &&
      e.checkVisibility({visibilityProperty: true}); };
  const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
    " " + JSON.stringify((e.textContent || e.name || "").trim().slice(0, 30));
  const targets = [...document.querySelectorAll(
      "a[href], button, input:not([type=hidden]), select, textarea, summary")]
    .filter(e => shown(e) && !e.classList.contains("skip"));
  return {
    targets: targets.filter(e => { const r = e.getBoundingClientRect();
        return r.width < 24 || r.height < 24; })
      .map(e => { const r = e.getBoundingClientRect();
        return `${name(e)} ${r.width.toFixed(1)}x${r.height.toFixed(1)}`; }),
    focus: targets.map(e => { e.focus({preventScroll: true});
        const s = getComputedStyle(e);
        const width = parseFloat(s.outlineWidth) || 0;
        const found = s.outlineStyle === "none" || width < 2 ? 0 : ratio(s.outlineColor, behind(e));
        return found >= 3 ? null : `${name(e)} ${s.outlineStyle} ${width}px ${s.outlineColor} on ${behind(e)}: ${found.toFixed(2)}`; })
      .filter(Boolean),
    overflow: document.documentElement.scrollWidth > innerWidth
      ? [`page ${document.documentElement.scrollWidth} > ${innerWidth}`] : [],
    amounts: [...document.querySelectorAll(".amount, dd, .big, td.num, #amount")]
      .filter(shown).filter(e => { const r = e.getBoundingClientRect();
        const box = e.parentElement.getBoundingClientRect();
        return r.right > innerWidth + 0.5 || r.left < -0.5 || r.right > box.right + 0.5 ||
          e.scrollWidth > e.clientWidth + 1; })
      .map(e => `${name(e)} right ${e.getBoundingClientRect().right.toFixed(1)}`),
    buttons: [...document.querySelectorAll("button, a.button, input[type=submit], summary")]
      .filter(shown).filter(e => { const r = e.getBoundingClientRect();
        return r.right > innerWidth + 0.5 || r.left < -0.5 || e.scrollWidth > e.clientWidth + 1; })
      .map(e => `${name(e)} ${e.getBoundingClientRect().left.toFixed(1)}..${e.getBoundingClientRect().right.toFixed(1)}`),
    zoom: { ratio: devicePixelRatio, width: innerWidth },
    // what makes a phone's layout viewport wider than its screen
    wide: [...document.querySelectorAll("body *")].filter(shown)
      .filter(e => e.getBoundingClientRect().right > screen.width + 0.5)
      .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > screen.width + 0.5))
      .slice(0, 4).map(e => `${name(e)} right ${e.getBoundingClientRect().right.toFixed(1)}`),
  };
})()
"""


def check(page: Page, where: str, *, zoomed: bool = False) -> None:
    """The page's focus ring, targets and width (zoomed: its width and amounts), and axe."""
    if not zoomed:
        assert_accessible(page, where)
    found = page.evaluate(_SCRIPT)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    zoom, wide = found.pop("zoom"), found.pop("wide")
    if zoomed:
        assert zoom == {"ratio": 6, "width": 195}, f"the {where} page is {zoom}: {wide}"
        wrong = {k: found[k] for k in ("overflow", "amounts", "buttons") if found[k]}
    else:
        wrong = {k: v for k, v in found.items() if v and k != "buttons"}
    assert not wrong, f"the {where} page ({page.url}): {wrong}"


def a_patient_with_long_names():
    """An Italian practice with a long name, a large bill and plans allowed."""
    practice = factories.practice(
        name="Studio Dentistico Associato Dott.ssa Mariagrazia Rossi e Dott. Bianchi"
    )
    db.session.add(PlanPolicy(practice_id=practice.id, allowed_counts="3,6,10,12"))
    practice.partial_payment_minimum_minor = 2000
    patient = factories.patient(
        practice, first_name="Maria Alessandra Francesca", last_name="Bianchi"
    )
    invoice = factories.invoice(patient, amounts=(123456789, 3450))
    _, token = links.issue(invoice, SYSTEM)
    _, expired = links.issue(invoice, SYSTEM, lifetime=timedelta(seconds=-1))
    db.session.commit()
    return practice, token, expired


def walk(page: Page, base: str, locale: str, zoomed: bool) -> None:
    """Every patient page of the pay and plan journeys, checked as it is reached."""
    practice, token, expired = a_patient_with_long_names()
    page.goto(f"{base}/")
    check(page, "root", zoomed=zoomed)
    page.goto(f"{base}/privacy/{practice.slug}")
    check(page, "privacy notice", zoomed=zoomed)
    page.goto(f"{base}/p/{expired}")
    check(page, "expired link", zoomed=zoomed)
    pages.open_link(page, f"{base}/p/{token}")
    check(page, "verify", zoomed=zoomed)
    pages.enter_date_of_birth(page, date(1984, 9, 3))
    expect(page.get_by_role("alert")).to_be_visible()
    check(page, "verify with an error", zoomed=zoomed)
    pages.verify(page, BORN)
    check(page, "bill", zoomed=zoomed)
    page.locator("#items summary").click()
    page.locator("#partial-payment summary").click()
    check(page, "bill with its lines open", zoomed=zoomed)
    page.locator("#part-amount").fill("1")
    page.locator("#partial-payment button[type=submit]").click()
    expect(page.locator("#part-error")).to_be_visible()
    check(page, "bill with a partial amount refused", zoomed=zoomed)
    pages.go_to_checkout(page)
    expect(page.locator("#card-element input")).to_have_count(5)
    check(page, "checkout", zoomed=zoomed)
    page.goto(f"{base}/pay/plan")
    check(page, "plan options", zoomed=zoomed)
    page.locator(".plan-option summary").first.click()
    check(page, "plan options with a schedule open", zoomed=zoomed)
    page.locator("input[name=count]").first.check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/pay/plan/consent$"))
    check(page, "consent", zoomed=zoomed)
    page.locator("main input[type=checkbox]").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/pay/plan/method$"))
    check(page, "plan method", zoomed=zoomed)
    page.locator("main input[type=radio]").first.check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/pay/plan/sign$"))
    check(page, "sign", zoomed=zoomed)
    page.goto(f"{base}/pay/question")
    check(page, "question", zoomed=zoomed)
    page.goto(f"{base}/pay/bills")
    check(page, "open bills", zoomed=zoomed)
    page.context.clear_cookies(name="session")
    page.goto(f"{base}/pay")
    expect(page.locator("#resume-form")).to_be_visible()
    check(page, "session ended", zoomed=zoomed)


@pytest.mark.parametrize("locale", ["en", "it"])
def test_focus_targets_and_reflow_at_320px(live_stripe_app, open_page, locale):
    page = open_page(
        viewport=REFLOW,
        is_mobile=True,
        has_touch=True,
        locale="it-IT" if locale == "it" else "en-GB",
    )
    walk(page, live_stripe_app.live_url, locale, zoomed=False)


@pytest.mark.parametrize("locale", ["en", "it"])
def test_amounts_and_buttons_stay_in_their_boxes_at_200_percent_zoom(
    live_stripe_app, open_page, locale
):
    page = open_page(**ZOOMED, locale="it-IT" if locale == "it" else "en-GB")
    walk(page, live_stripe_app.live_url, locale, zoomed=True)
