"""A locked link, seen and unlocked (or replaced) by staff from the invoice page."""

import re

from portal.extensions import db
from portal.models import AuditEvent, PaymentLink
from tests import factories
from tests.web.patient_client import open_and_verify
from tests.web.staff_client import csrf, make_staff, sign_in


def locked_invoice(web_app):
    with web_app.app_context():
        invoice, token = factories.invoice_with_link(locale="en")
        email = make_staff(invoice.practice, "billing").email
        ids = invoice.id, db.session.scalar(db.select(PaymentLink.id))
    patient = web_app.test_client()
    for _ in range(5):
        open_and_verify(patient, token, day=1)
    return ids, token, email, patient


def test_staff_see_the_lock_and_unlock_the_link(web_app):
    (invoice_id, link_id), token, email, patient = locked_invoice(web_app)
    assert open_and_verify(patient, token).status_code == 429
    staff = web_app.test_client()
    sign_in(staff, email)
    page = staff.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    assert "Link locked" in page
    assert "was locked after 5 wrong dates of birth." in page
    response = staff.post(
        f"/staff/invoices/{invoice_id}/links/{link_id}/unlock", data={"csrf_token": csrf(staff)}
    )
    assert response.headers["Location"] == f"/staff/invoices/{invoice_id}"
    assert "Link locked" not in staff.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    assert open_and_verify(patient, token).headers["Location"] == "/pay"
    with web_app.app_context():
        actions = db.session.scalars(
            db.select(AuditEvent.action)
            .where(AuditEvent.action.in_(["link.locked", "link.unlocked"]))
            .order_by(AuditEvent.id)
        ).all()
        assert actions == ["link.locked", "link.unlocked"]


def test_a_new_link_replaces_the_locked_one(web_app):
    (invoice_id, _), token, email, _patient = locked_invoice(web_app)
    staff = web_app.test_client()
    sign_in(staff, email)
    page = staff.post(f"/staff/invoices/{invoice_id}/link", data={"csrf_token": csrf(staff)})
    new_url = re.search(
        r'id="link-url" type="text" readonly value="([^"]+)"', page.get_data(as_text=True)
    ).group(1)
    fresh = web_app.test_client()
    assert open_and_verify(fresh, new_url.rsplit("/p/", 1)[1]).headers["Location"] == "/pay"
    assert "Link locked" not in staff.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    assert web_app.test_client().get(f"/p/{token}").status_code == 410
