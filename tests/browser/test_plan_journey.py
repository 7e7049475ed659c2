"""The installment plan journey on a phone in Chromium: choose a plan, consent to electronic
documents, read and sign the agreement (typed name, optionally a drawn signature), save the card
and pay the down payment, then follow the plan on the bill page."""

import re
from dataclasses import dataclass
from datetime import date

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Invoice, Plan, PlanPolicy
from portal.money import format_money
from portal.services.access import links
from portal.services.billing import ledger
from portal.services.core import outbox
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.browser import pages
from tests.support.axe import Axe
from tests.support.browser import PHONE
from tests.support.pdf import pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.stripe]

BALANCE = 154500  # 1545,00 €: 1200,00 + 345,00
DOWN = 15450  # the policy's 10 % down payment
PLAN_URL = re.compile(r"/pay/plan$")
CONSENT_URL = re.compile(r"/pay/plan/consent$")
SIGN_URL = re.compile(r"/pay/plan/sign$")
METHOD_URL = re.compile(r"/pay/plan/method$")
PLAN_PAY_URL = re.compile(r"/pay/plan/pay$")
BLOCKING = {"serious", "critical"}
EVIDENCE = ("document_sha256", "signer_ip", "user_agent", "viewed_at", "consented_at", "signed_at")

axe = Axe()


@dataclass(frozen=True)
class Patient:
    invoice: Invoice
    token: str
    born: date
    lang: str
    currency: str
    full_name: str

    def text(self, message: str, **values) -> str:
        """`message` as the patient's catalog has it today (it may still be untranslated)."""
        with force_locale(self.lang):
            return gettext(message, **values)

    def money(self, amount_minor: int) -> str:
        return format_money(amount_minor, self.currency, self.lang)

    def plan(self) -> Plan:
        db.session.expire_all()
        return db.session.scalars(
            db.select(Plan).filter_by(invoice_id=self.invoice.id).order_by(Plan.id.desc())
        ).first()


def italian_patient() -> Patient:
    """Giulia Bianchi of Studio Rossi (Italy, euro), owing 1545,00 €, plans of 3 to 12 months."""
    practice = factories.practice()
    patient = factories.patient(practice)
    return _with_policy_and_link(practice, patient, "it", "EUR")


def english_patient() -> Patient:
    """Emily Carter of a US practice (dollars, dates month first), owing $1,545.00."""
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
    return _with_policy_and_link(practice, patient, "en", "USD")


def _with_policy_and_link(practice, patient, lang: str, currency: str) -> Patient:
    db.session.add(PlanPolicy(practice_id=practice.id, allowed_counts="3,6,10,12"))
    invoice = factories.invoice(patient, amounts=(120000, 34500))
    _, token = links.issue(invoice, SYSTEM)
    db.session.commit()
    return Patient(invoice, token, patient.date_of_birth, lang, currency, patient.full_name)


@pytest.fixture
def phone(open_page):
    """A phone page in `locale` whose clock runs in `timezone_id`."""
    return lambda locale, timezone_id: open_page(**PHONE, locale=locale, timezone_id=timezone_id)


# Steps ------------------------------------------------------------------------------------


def open_bill(page: Page, base: str, who: Patient) -> None:
    pages.open_link(page, f"{base}/p/{who.token}")
    pages.verify(page, who.born)
    pages.expect_lang(page, who.lang)


def go_to_plans(page: Page, who: Patient) -> None:
    button = page.locator("main a.button[href$='/pay/plan']")
    expect(button).to_have_text(who.text("Payment plan"))
    button.click()
    expect(page).to_have_url(PLAN_URL)
    pages.expect_lang(page, who.lang)


def choose_plan(page: Page, who: Patient, count: int) -> None:
    expect(page.locator("input[name=count]")).to_have_count(4)  # 3, 6, 10 and 12 months
    installment = (BALANCE - DOWN) // count
    label = who.text(
        "%(n)s monthly installments of %(amount)s", n=count, amount=who.money(installment)
    )
    option = page.locator(".plan-option").filter(has=page.locator(f"input[value='{count}']"))
    assert _squeezed(option.locator("label").text_content()) == _squeezed(label)
    option.locator("summary").click()
    schedule = option.locator("table.schedule")
    expect(schedule).to_be_visible()
    expect(schedule.locator("tbody tr")).to_have_count(count + 1)  # the down payment first
    expect(schedule.locator("tbody tr").first).to_contain_text(_loose(who.money(DOWN)))
    expect(schedule.locator("tfoot")).to_contain_text(_loose(who.money(BALANCE)))
    option.get_by_role("radio").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(CONSENT_URL)


def consent(page: Page, who: Patient) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(who.text("Electronic documents"))
    box = page.get_by_label(who.text("I agree to receive and sign these documents electronically."))
    box.check()
    page.locator("main form button[type=submit]").click()
    if who.currency == "EUR":  # card or SEPA: chosen before the agreement is shown
        expect(page).to_have_url(METHOD_URL)
        page.get_by_label(who.text("Card"), exact=True).check()
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(SIGN_URL)


def read_agreement(page: Page, who: Patient, count: int) -> None:
    document = page.locator("main .document")
    title = "Accordo di pagamento rateale" if who.lang == "it" else "Payment plan agreement"
    expect(document.get_by_role("heading", level=2)).to_have_text(title)
    expect(document.locator("article")).to_have_attribute("lang", who.lang)
    rows = document.locator("table.schedule tbody tr")
    expect(rows).to_have_count(count + 1)
    expect(rows.first).to_contain_text(_loose(who.money(DOWN)))
    expect(rows.nth(1)).to_contain_text(_loose(who.money((BALANCE - DOWN) // count)))
    expect(document.locator("table.schedule tfoot")).to_contain_text(_loose(who.money(BALANCE)))
    # Part of the page, not a box that scrolls on its own; the sign button after all of it.
    heights = document.evaluate(
        "d => [d.scrollHeight, d.clientHeight, getComputedStyle(d).overflowY]"
    )
    assert heights[0] == heights[1] and heights[2] == "visible", heights
    bottom = document.evaluate("d => d.getBoundingClientRect().bottom + window.scrollY")
    button = page.get_by_role("button", name=who.text("Sign the agreement"))
    assert button.evaluate("b => b.getBoundingClientRect().top + window.scrollY") > bottom


def type_name(page: Page, who: Patient, name: str) -> None:
    page.get_by_label(who.text("Type your full name"), exact=True).fill(name)


def draw_signature(page: Page) -> None:
    """A few strokes with the pointer, as a finger would on the canvas."""
    canvas = page.locator("#signature-canvas")
    canvas.scroll_into_view_if_needed()
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 200, box
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    strokes = [
        [(0.10, 0.70), (0.18, 0.25), (0.26, 0.70), (0.34, 0.30)],  # a wave
        [(0.40, 0.60), (0.50, 0.40), (0.60, 0.65), (0.70, 0.35), (0.80, 0.55)],
        [(0.20, 0.85), (0.85, 0.80)],  # underline
    ]
    for stroke in strokes:
        page.mouse.move(x + stroke[0][0] * w, y + stroke[0][1] * h)
        page.mouse.down()
        for fx, fy in stroke[1:]:
            page.mouse.move(x + fx * w, y + fy * h, steps=5)
        page.mouse.up()
    ink = canvas.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }"""
    )
    assert ink > 500, f"the strokes left {ink} pixels of ink"


def sign(page: Page, who: Patient) -> None:
    if who.currency == "EUR":  # the Italian practice: the separate approval of clause 3
        clause = who.text("I specifically approve clause 3 (loss of the benefit of the term).")
        page.get_by_label(clause).check()
        page.get_by_label(who.text("Type your full name again to approve it")).fill(who.full_name)
    page.get_by_role("button", name=who.text("Sign the agreement")).click()


def pay_down_payment(page: Page, who: Patient) -> None:
    expect(page).to_have_url(PLAN_PAY_URL)
    pages.expect_lang(page, who.lang)
    heading = who.text("Save your payment method and pay the down payment")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("#amount")).to_have_text(_loose(who.money(DOWN)))
    expect(page.locator("#card-element input")).to_have_count(5)
    pages.fill_card(page, pages.CARD_OK)
    pages.pay(page)
    expect(page).to_have_url(pages.RESULT_URL)
    pages.expect_lang(page, who.lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(who.text("Payment received"))
    page.locator("main a[href$='/pay']").first.click()
    expect(page).to_have_url(pages.INVOICE_URL)


def expect_plan_section(page: Page, who: Patient, count: int, paid: int = 1):
    section = page.locator("main section.plan")
    expect(section.get_by_role("heading", level=2)).to_have_text(who.text("Your payment plan"))
    expect(section.locator("strong").first).to_have_text(who.text("Active"))
    rows = section.locator("tbody tr")
    expect(rows).to_have_count(count + 1)
    for n in range(count + 1):
        expect(rows.nth(n).locator("td").last).to_have_text(
            who.text("Paid") if n < paid else who.text("Scheduled")
        )
    expect(rows.first).to_contain_text(who.text("down payment"))
    next_one = who.text("Pay the next installment now")
    expect(section.get_by_role("link", name=next_one)).to_be_visible()
    db.session.expire_all()
    rest = who.text(
        "Pay off the rest · %(amount)s", amount=who.money(ledger.balance(who.invoice.id))
    )
    expect(section.get_by_role("link", name=_loose(rest))).to_be_visible()
    expect(section.get_by_role("link", name=who.text("Change the payment method"))).to_be_visible()
    return section


def download_agreement(page: Page, who: Patient) -> str:
    # the worker seals the agreement after the down payment, as a Huey consumer would
    outbox.run_pending()
    page.reload()
    link = page.locator("main section.plan").get_by_role(
        "link", name=who.text("Signed agreement (PDF)")
    )
    response = page.request.get(link.evaluate("a => a.href"))
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    return pdf_text(body)


def _loose(text: str) -> re.Pattern:
    """Match an amount whatever space the browser reports between number and symbol."""
    return re.compile(r"\s*".join(re.escape(part) for part in text.split()))


def _squeezed(text: str | None) -> str:
    return " ".join((text or "").split())


def assert_accessible(page: Page, where: str) -> None:
    results = axe.run(page)
    problems = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in problems
    )
    assert not problems, f"axe on the {where} page ({page.url}):\n{report}"


def assert_fits(page: Page, where: str) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the {where} page scrolls sideways: {widths}"


# Tests ------------------------------------------------------------------------------------


def test_italian_plan_with_a_drawn_signature(live_stripe_app, phone):
    who = italian_patient()
    page = phone("it-IT", "Europe/Rome")
    open_bill(page, live_stripe_app.live_url, who)
    expect(page.locator(".totals .balance dd")).to_have_text("1.545,00 €")

    go_to_plans(page, who)
    choose_plan(page, who, 6)
    pages.screenshot(page, "it-plan-consent")
    consent(page, who)
    read_agreement(page, who, 6)
    type_name(page, who, "Giulia Bianchi")
    draw_signature(page)
    pages.screenshot(page, "it-plan-sign")
    sign(page, who)
    pay_down_payment(page, who)

    expect_plan_section(page, who, 6)
    pages.screenshot(page, "it-plan-active")
    text = download_agreement(page, who)
    assert "Accordo di pagamento rateale" in text
    assert "Giulia Bianchi" in text
    assert who.text("Signature certificate") in text
    assert "firma disegnata" in text

    plan = who.plan()
    assert plan.status == "active" and plan.installment_count == 6
    assert plan.signer_name == "Giulia Bianchi"
    assert plan.signature_png is not None and plan.signature_png.startswith(b"\x89PNG")
    evidence = plan.evidence
    for key in EVIDENCE:
        assert evidence.get(key), (key, evidence)
    assert evidence["time_zone"] == "Europe/Rome"  # the phone's, not the server's
    assert evidence["signature"] == "drawn" and evidence["language"] == "it"
    assert evidence["signer_ip"] == "127.0.0.1"
    assert "Chrome" in evidence["user_agent"]
    assert evidence["document_sha256"] in text.replace("\n", "").replace(" ", "")
    assert [i.status for i in plan.installments] == ["paid"] + ["scheduled"] * 6
    assert ledger.balance(who.invoice.id) == BALANCE - DOWN


def test_english_typed_signature_then_pay_the_next_installment(live_stripe_app, phone):
    who = english_patient()
    page = phone("en-US", "America/New_York")
    open_bill(page, live_stripe_app.live_url, who)
    expect(page.locator(".totals .balance dd")).to_have_text("$1,545.00")

    go_to_plans(page, who)
    choose_plan(page, who, 3)
    consent(page, who)
    read_agreement(page, who, 3)
    type_name(page, who, "Emily Carter")
    sign(page, who)
    pay_down_payment(page, who)

    section = expect_plan_section(page, who, 3)
    text = download_agreement(page, who)
    assert "Emily Carter" in text and "Signature certificate" in text
    assert "drawn signature" not in text

    plan = who.plan()
    assert plan.status == "active"
    assert plan.signature_png is None
    assert plan.evidence["signature"] == "typed"
    assert plan.evidence["time_zone"] == "America/New_York"

    section.get_by_role("link", name="Pay the next installment now").click()
    # a confirmation first: the amount and the card, nothing charged yet
    next_amount = plan.installments[1].amount_minor
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay the next installment now")
    expect(page.locator("#confirm-amount")).to_have_text(_loose(who.money(next_amount)))
    expect(page.locator("#confirm-method")).to_have_text("Visa •••• 4242")
    assert ledger.balance(who.invoice.id) == BALANCE - DOWN
    assert_accessible(page, "pay-ahead confirmation")
    assert_fits(page, "pay-ahead confirmation")
    page.get_by_role("button", name=_loose(f"Pay {who.money(next_amount)}")).click()
    expect(page).to_have_url(pages.RESULT_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    page.locator("main a[href$='/pay']").first.click()
    expect_plan_section(page, who, 3, paid=2)

    plan = who.plan()
    assert [i.status for i in plan.installments] == ["paid", "paid", "scheduled", "scheduled"]
    assert plan.installments[1].status == "paid"
    assert ledger.balance(who.invoice.id) == BALANCE - DOWN - plan.installments[1].amount_minor
    first_card = plan.stripe_payment_method_id

    # Another card for the installments to come.
    page.get_by_role("link", name="Change the payment method").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the payment method")
    expect(page.locator("#amount")).to_have_count(0)  # nothing is charged now
    pages.fill_card(page, pages.CARD_OK)
    page.get_by_role("button", name="Save the new payment method").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your new payment method is saved")
    expect(page.locator("#saved-method")).to_have_text(
        "From now on your installments are charged to Visa •••• 4242."
    )
    assert_accessible(page, "card saved")
    page.get_by_role("link", name="Back to your bill").click()
    expect(page).to_have_url(pages.INVOICE_URL)
    section = expect_plan_section(page, who, 3, paid=2)
    expect(section.locator(".plan-method")).to_have_text("Visa •••• 4242")
    plan = who.plan()
    assert plan.stripe_payment_method_id not in (None, first_card)
    assert "payment_method_changed_at" in plan.evidence


@pytest.mark.parametrize("lang", ["it", "en"])
def test_plan_pages_pass_axe(live_stripe_app, phone, lang):
    who = italian_patient() if lang == "it" else english_patient()
    page = phone("it-IT" if lang == "it" else "en-US", "Europe/Rome")
    open_bill(page, live_stripe_app.live_url, who)
    go_to_plans(page, who)
    page.locator(".plan-option summary").first.click()  # an open schedule too
    assert_accessible(page, "plan options")
    assert_fits(page, "plan options")
    choose_plan(page, who, 6)

    assert_accessible(page, "consent")
    assert_fits(page, "consent")
    page.locator("main form button[type=submit]").click()  # no tick: the error
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "consent with an error")
    consent(page, who)

    expect(page.locator("#signature-canvas")).to_be_visible()
    assert_accessible(page, "sign")
    assert_fits(page, "sign")
    if lang == "en":  # a US plan of six months: the Truth in Lending box too
        expect(page.locator("main .document table.tila")).to_be_visible()
    for width in (390, 360, 320):  # the agreement's own box never scrolls sideways either
        page.set_viewport_size({"width": width, "height": 844})
        widths = page.locator("main .document").evaluate("d => [d.scrollWidth, d.clientWidth]")
        assert widths[0] <= widths[1], f"the agreement scrolls sideways at {width}px: {widths}"
    page.set_viewport_size(PHONE["viewport"])
    type_name(page, who, "Nobody")
    sign(page, who)
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "sign with an error")
    pages.screenshot(page, f"{lang}-plan-sign-error")
    type_name(page, who, who.full_name)
    sign(page, who)

    expect(page).to_have_url(PLAN_PAY_URL)
    expect(page.locator("#card-element input")).to_have_count(5)
    assert_accessible(page, "down payment")
    assert_fits(page, "down payment")
    pay_down_payment(page, who)

    section = expect_plan_section(page, who, 6)
    assert_accessible(page, "plan section of the bill")
    assert_fits(page, "plan section of the bill")
    section.scroll_into_view_if_needed()
    pages.screenshot(page, f"{lang}-plan-section")


def test_wrong_name_and_missing_consent_change_nothing(live_stripe_app, phone):
    who = italian_patient()
    page = phone("it-IT", "Europe/Rome")
    open_bill(page, live_stripe_app.live_url, who)
    go_to_plans(page, who)
    choose_plan(page, who, 6)

    box = page.get_by_label(who.text("I agree to receive and sign these documents electronically."))
    expect(box).not_to_have_attribute("aria-describedby", re.compile("."))
    # Continue without ticking the box: the page says so and nothing is recorded.
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("main form button[type=submit]").click()
    assert answer.value.status == 422
    expect(page).to_have_url(CONSENT_URL)
    pages.expect_lang(page, "it")
    error = page.get_by_role("alert")
    expect(error).to_have_text(who.text("Please tick the box to continue."))
    expect(box).not_to_be_checked()
    expect(box).to_have_attribute("aria-describedby", "agree-error")
    expect(box).to_have_attribute("aria-invalid", "true")
    assert "consented_at" not in (who.plan().evidence or {})
    page.goto(f"{live_stripe_app.live_url}/pay/plan/sign")  # no skipping the consent
    expect(page).to_have_url(CONSENT_URL)

    consent(page, who)
    name = page.get_by_label(who.text("Type your full name"), exact=True)
    expect(name).not_to_have_attribute("aria-invalid", "true")
    type_name(page, who, "Mario Rossi")  # not the patient
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        sign(page, who)
    assert answer.value.status == 422
    expect(page).to_have_url(SIGN_URL)
    pages.expect_lang(page, "it")
    expect(page.get_by_role("alert")).to_have_text(
        who.text("Type your full name as it appears on the bill.")
    )
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_attribute("aria-describedby", "sign-error name-hint")
    # An empty name is refused by the form itself, with the same translated message.
    type_name(page, who, "")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        sign(page, who)
    assert answer.value.status == 422
    expect(page.get_by_role("alert")).to_have_text(
        who.text("Type your full name as it appears on the bill.")
    )
    page.goto(f"{live_stripe_app.live_url}/pay/plan/pay")  # no paying an unsigned plan
    expect(page).to_have_url(SIGN_URL)

    plan = who.plan()
    assert plan.status == "pending_signature"
    assert plan.signed_at is None and plan.signer_name is None and plan.signature_png is None
    assert "signed_at" not in plan.evidence and "consented_at" in plan.evidence
    assert ledger.balance(who.invoice.id) == BALANCE
