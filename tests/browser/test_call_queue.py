"""The call queue in Chromium at desktop size: a billing user records a promise to pay and the
call leaves the queue; axe-core on the queue, the letters page and the invoice's collections."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.clock import practice_today
from portal.extensions import db
from portal.models import CallTask, ReminderLog
from tests import factories
from tests.browser.test_staff_journey import assert_accessible, new_desk_page, sign_in  # noqa: F401
from tests.conftest import _make_app
from tests.support import servers
from tests.web.staff_client import make_staff

pytestmark = pytest.mark.browser

QUEUE_URL = re.compile(r"/staff/calls$")


@pytest.fixture
def live_app(sqlite_url):
    """The portal on SQLite served over HTTP; these pages need no Stripe."""
    app = _make_app(sqlite_url, SESSION_COOKIE_SECURE=False)
    with servers.LiveServer(app) as live, app.app_context():
        app.live_url = live.url
        yield app
        db.session.remove()
        db.engine.dispose()


def overdue_call(practice, first_name, last_name, days_late, number):
    """A patient with an overdue invoice and a call task that fell due `days_late` days ago."""
    today = practice_today(practice)
    patient = factories.patient(
        practice, first_name=first_name, last_name=last_name, phone="+39 333 765 4321"
    )
    invoice = factories.invoice(
        patient, number=number, today=today - timedelta(days=30 + days_late)
    )
    task = CallTask(
        practice_id=practice.id,
        invoice_id=invoice.id,
        patient_id=patient.id,
        due_on=today - timedelta(days=days_late),
        position=3,
    )
    db.session.add(task)
    db.session.add(
        ReminderLog(
            practice_id=practice.id,
            invoice_id=invoice.id,
            position=3,
            channel="call",
            sent_on=task.due_on,
            status="task",
        )
    )
    db.session.commit()
    return task


def test_record_a_promise_to_pay_from_the_call_queue(live_app, new_desk_page):  # noqa: F811
    base = live_app.live_url
    practice = factories.practice()
    billing = make_staff(practice, "billing")
    giulia = overdue_call(practice, "Giulia", "Bianchi", 2, "2026-0001")
    marco = overdue_call(practice, "Marco", "Verdi", 1, "2026-0002")
    today = practice_today(practice)
    promised = today + timedelta(days=7)

    desk = new_desk_page()
    sign_in(desk, base, billing.email)
    response = desk.goto(f"{base}/staff/calls")
    assert response is not None and response.ok, response and response.status
    expect(desk.get_by_role("heading", level=1)).to_have_text("Calls to make")
    tasks = desk.locator("article.call")
    expect(tasks).to_have_count(2)
    expect(tasks.nth(0).get_by_role("heading", level=2)).to_have_text(
        "Giulia Bianchi"
    )  # oldest first
    expect(tasks.nth(1).get_by_role("heading", level=2)).to_have_text("Marco Verdi")
    call = desk.get_by_role("article", name="Giulia Bianchi")
    phone = call.get_by_role("link", name="+39 333 765 4321")
    expect(phone).to_have_attribute("href", "tel:+393337654321")
    expect(call.locator(".balance")).to_have_text("€154.50")
    expect(call.locator(".script")).to_have_attribute("lang", "it")
    expect(call.locator(".script")).to_contain_text("154,50 €")
    assert_accessible(desk, "call queue")

    call.get_by_label("Promise to pay").check()
    call.get_by_label("Promised payment date").fill(promised.isoformat())
    call.get_by_label("Promised amount").fill("50,00")
    call.get_by_label("Note").fill("Paga a fine mese")
    call.get_by_role("button", name="Record outcome").click()

    expect(desk).to_have_url(QUEUE_URL)
    expect(desk.get_by_role("status")).to_have_text(
        "Call with Giulia Bianchi recorded: Promise to pay."
    )
    expect(tasks).to_have_count(1)
    expect(desk.get_by_role("article", name="Giulia Bianchi")).to_have_count(0)
    expect(desk.get_by_role("article", name="Marco Verdi")).to_be_visible()

    db.session.expire_all()
    done = db.session.get(CallTask, giulia.id)
    assert (done.status, done.outcome, done.promise_on, done.promise_amount_minor) == (
        "done",
        "promise",
        promised,
        5000,
    )
    assert (done.note, done.staff_id) == ("Paga a fine mese", billing.id)
    assert db.session.get(CallTask, marco.id).status == "open"

    # The invoice page shows the call and its promise, and the hold buttons.
    desk.goto(f"{base}/staff/invoices/{giulia.invoice_id}")
    section = desk.get_by_role("region", name="Reminders and calls")
    expect(section.locator("#calls tbody tr")).to_have_count(1)
    expect(section.locator("#calls")).to_contain_text("Promise to pay: by")
    expect(section.locator("#calls")).to_contain_text("€50.00")
    expect(section.locator("#reminders")).to_contain_text("call task created")
    section.locator("summary", has_text="Put on hold or mark as disputed").click()
    expect(section.get_by_role("button", name="Mark as disputed")).to_be_visible()
    assert_accessible(desk, "invoice collections")

    desk.goto(f"{base}/staff/letters")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Letters to print")
    assert_accessible(desk, "letters")
