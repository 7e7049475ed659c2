"""In Chromium on a 360x740 phone: a patient whose link expired asks for a new one by text;
a verified patient asks a question about the bill. axe-core on both pages."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import AuditEvent, Delivery, OutboxMessage
from portal.services.access import links
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.browser import pages
from tests.browser.test_accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.stripe]

SMALL_PHONE = dict(
    viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="it-IT"
)


def test_a_new_link_by_text_from_the_expired_page(live_stripe_app, open_page):
    page = open_page(**SMALL_PHONE)
    invoice, _ = factories.invoice_with_link(phone="+393331234567", sms_consent=True)
    _, expired = links.issue(invoice, SYSTEM, lifetime=timedelta(seconds=-1))
    db.session.commit()
    page.goto(f"{live_stripe_app.live_url}/p/{expired}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Questo link è scaduto")
    button = page.get_by_role("button", name="Mi invii un nuovo link")
    box = button.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 740  # in the first screen
    assert box["height"] >= 24
    assert_accessible(page, "expired link with the new-link form")
    page.get_by_label("Per SMS").check()
    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Controlli i Suoi messaggi")
    assert_accessible(page, "new link requested")
    db.session.expire_all()
    [delivery] = db.session.scalars(db.select(Delivery).filter_by(invoice_id=invoice.id)).all()
    assert (delivery.purpose, delivery.channel, delivery.status) == ("link_request", "sms", "sent")
    [sms] = db.session.scalars(db.select(OutboxMessage).filter_by(channel="sms")).all()
    assert sms.recipient == "+393331234567" and "/p/" in sms.raw
    fresh = sms.raw.split("/p/", 1)[1].split(" ", 1)[0]
    pages.open_link(page, f"{live_stripe_app.live_url}/p/{fresh}")
    pages.verify(page, date(1984, 3, 9))


def test_a_question_about_the_bill_from_the_phone(live_stripe_app, open_page):
    page = open_page(**SMALL_PHONE)
    invoice, token = factories.invoice_with_link()
    pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
    pages.verify(page, date(1984, 3, 9))
    page.get_by_role("link", name="Una domanda su questa fattura?").click()
    assert_accessible(page, "question")
    page.get_by_label("La Sua domanda").fill("Posso pagare il mese prossimo?")
    page.get_by_role("button", name="Invii la domanda").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("La Sua domanda è stata inviata")
    assert_accessible(page, "question sent")
    db.session.expire_all()
    event = db.session.scalars(
        db.select(AuditEvent).filter_by(invoice_id=invoice.id, action="bill.question")
    ).one()
    assert event.data["text"] == "Posso pagare il mese prossimo?"
