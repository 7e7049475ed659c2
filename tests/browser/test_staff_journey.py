"""The practice side in Chromium at desktop size: a billing user bills a new patient, the
patient pays on a phone from the emailed link, the desk sees it and refunds part of it;
axe-core on every staff page."""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Invoice, Payment, Refund
from portal.services.billing import ledger, money
from portal.services.core.audit import Actor
from tests import factories
from tests.browser import pages
from tests.support.axe import Axe
from tests.support.browser import TIMEOUT_MS
from tests.support.pdf import pdf_text
from tests.web.staff_client import PASSWORD, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.stripe]

DESKTOP = dict(viewport={"width": 1280, "height": 800})
BORN = date(1986, 5, 21)
BLOCKING = {"serious", "critical"}
PATIENT_LINK = re.compile(r"https?://\S+/p/[A-Za-z0-9_\-]{40,}")

DASHBOARD_URL = re.compile(r"/staff/$")
INVOICE_URL = re.compile(r"/staff/invoices/(\d+)$")
NEW_INVOICE_URL = re.compile(r"/staff/patients/\d+/invoices/new$")

axe = Axe()


@pytest.fixture
def new_desk_page(open_page):
    """Open a page in a fresh desktop context whose language is `locale`."""
    return lambda locale="en-GB": open_page(**DESKTOP, locale=locale)


def assert_accessible(page: Page, where: str) -> None:
    results = axe.run(page)
    problems = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in problems
    )
    assert not problems, f"axe on the staff {where} page ({page.url}):\n{report}"
    pages.screenshot(page, "staff-" + re.sub(r"\W+", "-", where))


def assert_fits(page: Page, where: str) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the staff {where} page scrolls sideways: {widths}"


def sign_in(page: Page, base: str, email: str) -> None:
    response = page.goto(f"{base}/staff/login")
    assert response is not None and response.ok, response and response.status
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(DASHBOARD_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoices")


def sign_out(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/staff/login"))


def create_patient(page: Page) -> None:
    """From the dashboard: an Italian-speaking patient who agrees to email."""
    page.get_by_role("link", name="New patient and invoice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New patient")
    save_patient(page)


def save_patient(page: Page) -> None:
    page.get_by_label("First name").fill("Chiara")
    page.get_by_label("Last name").fill("Esposito")
    page.get_by_label("Date of birth").fill(BORN.isoformat())
    page.get_by_role("combobox", name="Language").select_option("it")
    page.get_by_label("Email", exact=True).fill("chiara@example.org")
    page.get_by_label("Mobile number").fill("+39 333 765 4321")
    page.get_by_label("Agrees to be contacted by email").check()
    page.get_by_role("button", name="Save patient").click()
    expect(page).to_have_url(NEW_INVOICE_URL)
    expect(page.get_by_role("status")).to_have_text("Patient saved.")


def fill_invoice(page: Page, number: str) -> None:
    """Two lines, one amount with a decimal comma, one with a point, an adjustment: 215.00."""
    expect(page.get_by_role("heading", level=1)).to_have_text("New invoice")
    page.get_by_label("Invoice number").fill(number)
    today = date.today().isoformat()
    page.get_by_label("Line 1: service date").fill(today)
    page.get_by_label("Line 1: code").fill("D1110")
    page.get_by_label("Line 1: description").fill("Igiene orale")
    page.get_by_label("Line 1: charged").fill("90,00")
    page.get_by_label("Line 2: service date").fill(today)
    page.get_by_label("Line 2: description").fill("Otturazione")
    page.get_by_label("Line 2: charged").fill("140.00")
    page.get_by_label("Line 2: adjustment").fill("15")


def pay_and_wait(phone: Page) -> None:
    """Pay on the checkout page and wait for the result page; if it does not come, say what
    the checkout page shows instead."""
    pages.pay(phone)
    try:
        expect(phone).to_have_url(pages.RESULT_URL, timeout=2 * TIMEOUT_MS)
    except AssertionError as exc:
        error = phone.locator("#pay-error")
        shown = error.text_content() if error.is_visible() else "no error message"
        status = phone.locator("#pay-status").text_content()
        raise AssertionError(f"no payment result at {phone.url}: {shown!r}, {status!r}") from exc


def invoice_id_of(page: Page) -> int:
    return int(INVOICE_URL.search(page.url).group(1))


def timeline_text(page: Page) -> str:
    return page.locator("ol.timeline").inner_text()


def test_bill_send_pay_on_a_phone_then_refund(live_stripe_app, new_desk_page, new_phone_page):
    base = live_stripe_app.live_url
    practice = factories.practice()
    billing = make_staff(practice, "billing")

    # The desk: sign in, a new patient, an invoice with two lines, issued at once.
    desk = new_desk_page()
    sign_in(desk, base, billing.email)
    create_patient(desk)
    fill_invoice(desk, "2026-0420")
    desk.get_by_role("button", name="Save and issue").click()
    expect(desk).to_have_url(INVOICE_URL)
    invoice_url = desk.url
    invoice_id = invoice_id_of(desk)
    heading = desk.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Invoice 2026-0420")
    expect(heading.locator(".status")).to_have_text("Open")
    expect(desk.locator("#balance")).to_have_text("€215.00")
    lines = desk.get_by_role("table").filter(has_text="Igiene orale").locator("tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("€90.00")
    expect(lines.nth(1)).to_contain_text("€140.00")
    expect(lines.nth(1)).to_contain_text("€15.00")
    expect(lines.nth(1)).to_contain_text("€125.00")
    pages.screenshot(desk, "staff-invoice-open")

    # Send the link by email; the outbox has it.
    expect(desk.get_by_label("Send by")).to_have_value("email")
    desk.get_by_role("button", name="Send link").click()
    expect(desk).to_have_url(invoice_url)
    expect(desk.get_by_role("status")).to_have_text("Link sent to chiara@example.org.")
    expect(desk.locator("section", has_text="Messages").locator("li")).to_contain_text(
        "chiara@example.org"
    )
    expect(desk.locator("ol.timeline")).to_contain_text("Link sent (email)")

    response = desk.goto(f"{base}/dev/outbox")
    assert response is not None and response.ok, response and response.status
    newest = desk.locator("ul.outbox li").first
    expect(newest).to_contain_text("chiara@example.org")
    newest.get_by_role("link").click()
    expect(desk).to_have_url(re.compile(r"/dev/outbox/\d+$"))
    expect(desk.locator("pre.message")).to_contain_text("/p/")
    found = PATIENT_LINK.search(desk.locator("pre.message").inner_text())
    assert found, desk.locator("pre.message").inner_text()
    link = found.group(0)
    assert link.startswith(base), link

    # The patient, on her own phone, in Italian.
    phone = new_phone_page("it-IT")
    pages.open_link(phone, link)
    pages.expect_lang(phone, "it")
    pages.verify(phone, BORN)
    expect(phone.locator(".totals .balance dd")).to_have_text("215,00 €")
    pages.go_to_checkout(phone)
    expect(phone.get_by_role("radio").first).to_be_checked()
    pages.fill_card(phone, pages.CARD_OK)
    pay_and_wait(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Pagamento ricevuto")
    expect(phone.locator(".totals .balance dd")).to_have_text("0,00 €")
    payment_id = int(phone.url.rsplit("/", 1)[1])

    # Back at the desk: every step is on the timeline and the invoice is paid.
    desk.goto(invoice_url)
    expect(desk.get_by_role("heading", level=1).locator(".status")).to_have_text("Paid")
    expect(desk.locator("#balance")).to_have_text("€0.00")
    timeline = timeline_text(desk)
    events = ["Issued", "Link sent", "Link opened", "Patient verified", "Payment received"]
    positions = [timeline.find(event) for event in events]
    assert -1 not in positions, timeline
    assert positions == sorted(positions), timeline
    payment = desk.get_by_role("region", name="Payments", exact=True).locator(".payment")
    expect(payment).to_have_count(1)
    expect(payment).to_contain_text("€215.00")
    expect(payment).to_contain_text("Card")
    pages.screenshot(desk, "staff-invoice-paid")

    # A partial refund from the invoice page.
    payment.locator("summary", has_text="Refund").click()
    amount = payment.get_by_label("Amount to refund")
    expect(amount).to_be_visible()
    expect(amount).to_have_value("215.00")
    amount.fill("40,00")
    payment.get_by_label("Reason", exact=True).fill("Sconto fedeltà")
    payment.get_by_role("button", name="Refund", exact=True).click()
    expect(desk).to_have_url(invoice_url)
    expect(desk.get_by_role("status")).to_have_text("Refund made.")
    expect(payment).to_contain_text("Refund of €40.00: Sconto fedeltà")
    expect(desk.locator("ol.timeline")).to_contain_text("Refunded")
    # The price went down by as much (the box was ticked): still paid, nothing owed.
    expect(desk.get_by_role("heading", level=1).locator(".status")).to_have_text("Paid")
    expect(desk.locator("#balance")).to_have_text("€0.00")
    pages.screenshot(desk, "staff-invoice-refunded")

    db.session.expire_all()
    refund = db.session.scalars(db.select(Refund).filter_by(payment_id=payment_id)).one()
    assert (refund.amount_minor, refund.status) == (4000, "succeeded")
    assert db.session.get(Invoice, invoice_id).status == "paid"
    assert ledger.balance(invoice_id) == 0

    # The patient's receipt, in her language, shows the refund.
    receipt = phone.request.get(f"{base}/pay/payments/{payment_id}/receipt.pdf")
    assert receipt.ok, receipt.status
    assert receipt.headers["content-type"] == "application/pdf"
    body = receipt.body()
    assert body.startswith(b"%PDF")
    text = pdf_text(body)
    assert "Rimborsato il" in text, text
    assert "40,00" in text, text
    assert "215,00" in text, text


def test_every_staff_page_passes_axe(live_stripe_app, new_desk_page):
    base = live_stripe_app.live_url
    practice = factories.practice()
    billing = make_staff(practice, "billing")
    owner = make_staff(practice, "owner")
    invoice = factories.invoice(factories.patient(practice), amounts=(12000, 3450))
    money.record_desk_payment(invoice, 5000, "cash", Actor("staff", str(billing.id), None), "")
    db.session.commit()
    assert db.session.scalars(db.select(Payment).filter_by(invoice_id=invoice.id)).one()

    page = new_desk_page()
    response = page.goto(f"{base}/staff/login")
    assert response is not None and response.ok
    assert_accessible(page, "login")
    page.get_by_label("Email").fill(billing.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "login with an error")

    sign_in(page, base, billing.email)
    assert_accessible(page, "dashboard")
    assert_fits(page, "dashboard")
    page.get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, "patient list")

    page.goto(f"{base}/staff/")
    page.get_by_role("link", name="New patient and invoice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New patient")
    assert_accessible(page, "new patient")
    page.get_by_role("button", name="Save patient").click()  # empty: errors on the fields
    expect(page.get_by_label("First name")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "new patient with errors")
    save_patient(page)
    assert_accessible(page, "new invoice")
    assert_fits(page, "new invoice")
    page.get_by_role("button", name="Save and issue").click()  # no lines
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "new invoice with an error")
    fill_invoice(page, "2026-0777")
    page.get_by_role("button", name="Save as draft").click()
    expect(page).to_have_url(INVOICE_URL)
    assert_accessible(page, "draft invoice")

    page.goto(f"{base}/staff/invoices/{invoice.id}")
    page.get_by_role("button", name="Send link").click()
    expect(page.get_by_role("status")).to_be_visible()
    for summary in page.locator("main summary").all():
        summary.click()  # open every form: refund, desk payment, write-off, void
    expect(page.get_by_label("Amount to refund")).to_be_visible()
    expect(page.locator("ol.timeline li")).not_to_have_count(0)
    assert_accessible(page, "invoice with payments and timeline")
    assert_fits(page, "invoice")
    page.get_by_role("link", name="Giulia Bianchi").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Giulia Bianchi")
    assert_accessible(page, "patient")

    page.goto(f"{base}/staff/invoices/{invoice.id}")
    page.get_by_role("button", name="Copy link / QR code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Link for invoice {invoice.number}")
    expect(page.locator(".qr svg")).to_be_visible()
    assert_accessible(page, "link and QR code")
    page.get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in")
    assert_accessible(page, "security")

    sign_out(page)
    sign_in(page, base, owner.email)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Settings", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice settings")
    assert_accessible(page, "settings")
    nav.get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff")
    expect(page.locator("tbody tr")).to_have_count(2)
    assert_accessible(page, "users")
    nav.get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API keys")
    assert_accessible(page, "API keys")
    page.get_by_label("Key name").fill("Gestionale")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_be_visible()
    assert_accessible(page, "API keys with a new key")
