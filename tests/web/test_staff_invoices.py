"""A billing user's day: patients, invoices from draft to issued, sending, money at the desk."""

import html
import re

import pytest

from portal.extensions import db
from portal.models import Invoice, LedgerEntry, OutboxMessage, Patient, PaymentLink
from portal.services.access import links
from portal.services.billing import ledger
from tests import factories
from tests.web.staff_client import csrf, make_staff, sign_in


@pytest.fixture
def desk(web_app):
    """A signed-in billing user of an Italian practice."""
    with web_app.app_context():
        practice = factories.practice()
        email = make_staff(practice, "billing").email
    client = web_app.test_client()
    sign_in(client, email)
    return client


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf(client), **data})


def new_patient(client, **extra):
    data = dict(
        first_name="Giulia",
        last_name="Bianchi",
        date_of_birth="1984-03-09",
        email="giulia@example.org",
        phone="+39 333 123 4567",
        locale="it",
        email_consent="y",
    )
    data.update(extra)
    response = post(client, "/staff/patients/new", **data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/patients/(\d+)/invoices/new", response.headers["Location"]).group(1))


def new_invoice(client, patient_id, then="draft", number="2026-0100"):
    lines = {
        "lines-0-service_date": "2026-11-02",
        "lines-0-procedure_code": "D1110",
        "lines-0-description": "Igiene orale",
        "lines-0-charged": "90,00",
        "lines-1-service_date": "2026-11-02",
        "lines-1-description": "Otturazione",
        "lines-1-charged": "140.00",
        "lines-1-adjustment": "15",
        "lines-1-insurance_paid": "",
    }
    response = post(
        client,
        f"/staff/patients/{patient_id}/invoices/new",
        number=number,
        issued_on="2026-11-10",
        due_on="2026-12-10",
        then=then,
        **lines,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_patient_then_draft_then_issue(desk, web_app):
    patient_id = new_patient(desk)
    invoice_id = new_invoice(desk, patient_id)
    with web_app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert invoice.status == "draft"
        assert [line.patient_share_minor for line in invoice.lines] == [9000, 12500]
        assert ledger.balance(invoice.id) == 0
        assert db.session.get(Patient, patient_id).phone == "+393331234567"
    page = desk.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    assert "Draft" in page and "Edit draft" in page
    post(desk, f"/staff/invoices/{invoice_id}/issue")
    with web_app.app_context():
        assert db.session.get(Invoice, invoice_id).status == "open"
        assert ledger.balance(invoice_id) == 21500


def test_bad_lines_are_explained_and_nothing_is_saved(desk, web_app):
    patient_id = new_patient(desk)
    response = post(
        desk,
        f"/staff/patients/{patient_id}/invoices/new",
        number="X-1",
        issued_on="2026-11-10",
        due_on="2026-12-10",
        **{
            "lines-0-service_date": "2026-11-02",
            "lines-0-description": "A",
            "lines-0-charged": "-5",
        },
    )
    assert response.status_code == 200
    assert "Line 1: enter amounts like 120.50." in response.get_data(as_text=True)
    response = post(
        desk,
        f"/staff/patients/{patient_id}/invoices/new",
        number="X-1",
        issued_on="2026-11-10",
        due_on="2026-11-01",
        **{
            "lines-0-service_date": "2026-11-02",
            "lines-0-description": "A",
            "lines-0-charged": "5",
        },
    )
    assert "The due date is before the issue date." in response.get_data(as_text=True)
    with web_app.app_context():
        assert db.session.scalars(db.select(Invoice)).all() == []


def test_duplicate_invoice_number_is_refused(desk, web_app):
    patient_id = new_patient(desk)
    new_invoice(desk, patient_id, then="issue")
    response = post(
        desk,
        f"/staff/patients/{patient_id}/invoices/new",
        number="2026-0100",
        issued_on="2026-11-10",
        due_on="2026-12-10",
        **{
            "lines-0-service_date": "2026-11-02",
            "lines-0-description": "A",
            "lines-0-charged": "5",
        },
    )
    assert "Invoice number 2026-0100 is already used." in response.get_data(as_text=True)


def test_send_by_email_and_follow_the_link(desk, web_app):
    invoice_id = new_invoice(desk, new_patient(desk), then="issue")
    response = post(desk, f"/staff/invoices/{invoice_id}/send", channel="email")
    assert response.status_code == 302
    with web_app.app_context():
        [message] = db.session.scalars(db.select(OutboxMessage)).all()
        assert message.recipient == "giulia@example.org"
        token = re.search(r"/p/([A-Za-z0-9_\-]{40,})", message.raw).group(1)
        assert links.resolve(token).ok
    page = desk.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    assert "Link sent" in page and "giulia@example.org" in page
    patient = web_app.test_client()
    assert patient.get(f"/p/{token}").headers["Location"] == "/pay/verify"


def test_sms_without_consent_is_refused_with_a_reason(desk, web_app):
    invoice_id = new_invoice(desk, new_patient(desk), then="issue")
    response = post(desk, f"/staff/invoices/{invoice_id}/send", channel="sms")
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "The patient has not agreed to be contacted this way." in page


def test_desk_link_with_qr_code_replaces_older_links(desk, web_app):
    invoice_id = new_invoice(desk, new_patient(desk), then="issue")
    first = post(desk, f"/staff/invoices/{invoice_id}/link").get_data(as_text=True)
    second = post(desk, f"/staff/invoices/{invoice_id}/link").get_data(as_text=True)
    assert "<svg" in second
    token_of = lambda page: re.search(r"/p/([A-Za-z0-9_\-]{40,})", page).group(1)  # noqa: E731
    with web_app.app_context():
        assert links.resolve(token_of(first)).state == "revoked"
        assert links.resolve(token_of(second)).ok
    post(desk, f"/staff/invoices/{invoice_id}/revoke")
    with web_app.app_context():
        live = db.select(PaymentLink).filter_by(invoice_id=invoice_id, revoked_at=None)
        assert db.session.scalars(live).all() == []


def test_desk_payment_write_off_and_timeline(desk, web_app):
    invoice_id = new_invoice(desk, new_patient(desk), then="issue")
    post(desk, f"/staff/invoices/{invoice_id}/payments", amount="100,00", method="cash")
    too_much = post(desk, f"/staff/invoices/{invoice_id}/payments", amount="1000", method="cash")
    assert "more than the balance" in desk.get(too_much.headers["Location"]).get_data(as_text=True)
    post(desk, f"/staff/invoices/{invoice_id}/write-off", amount="15", reason="goodwill")
    with web_app.app_context():
        assert ledger.balance(invoice_id) == 21500 - 10000 - 1500
        kinds = db.session.scalars(
            db.select(LedgerEntry.kind).filter_by(invoice_id=invoice_id).order_by(LedgerEntry.id)
        ).all()
        assert kinds == ["charge", "payment", "write_off"]
    page = desk.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    for event in ("Created", "Issued", "Payment received", "Written off"):
        assert event in page


def test_void_needs_no_payments(desk, web_app):
    invoice_id = new_invoice(desk, new_patient(desk), then="issue")
    post(desk, f"/staff/invoices/{invoice_id}/void", reason="entered twice")
    with web_app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert invoice.status == "void" and ledger.balance(invoice_id) == 0
    other = new_invoice(desk, new_patient(desk, first_name="Anna"), then="issue", number="B-2")
    post(desk, f"/staff/invoices/{other}/payments", amount="10", method="cheque")
    response = post(desk, f"/staff/invoices/{other}/void", reason="oops")
    assert "refund them first" in desk.get(response.headers["Location"]).get_data(as_text=True)


def test_dashboard_filters(desk, web_app):
    patient_id = new_patient(desk)
    new_invoice(desk, patient_id, then="issue", number="A-1")
    new_invoice(desk, patient_id, then="draft", number="A-2")
    page = desk.get("/staff/?status=draft").get_data(as_text=True)
    assert "A-2" in page and "A-1" not in page
    page = desk.get("/staff/?q=Bianchi&min=200").get_data(as_text=True)
    assert "A-1" in page and "A-2" not in page
    assert "No invoices match." in desk.get("/staff/?q=nobody").get_data(as_text=True)


def test_message_preview_in_the_patients_language(desk, web_app):
    invoice_id = new_invoice(desk, new_patient(desk), then="issue")
    page = desk.get(f"/staff/invoices/{invoice_id}/preview").get_data(as_text=True)
    assert "La Sua fattura – Studio Dentistico Rossi" in page
    assert "la Sua fattura è pronta" in page
    with web_app.app_context():
        assert db.session.scalars(db.select(PaymentLink)).all() == []


def test_dashboard_pages_newest_first_and_searches_by_substring(desk, web_app, monkeypatch):
    from portal.services.collections import worklist

    monkeypatch.setattr(worklist, "PAGE_SIZE", 2)
    anna = new_patient(desk, first_name="Annabella", last_name="Verdi", email="av@example.org")
    for n in range(1, 6):
        new_invoice(desk, anna, then="issue", number=f"K-{n}")
    first = desk.get("/staff/").get_data(as_text=True)
    assert "K-5" in first and "K-4" in first and "K-3" not in first
    assert "Newest invoices" not in first
    older = re.search(r'href="(/staff/\?after=[^"]+)" rel="next"', first).group(1)
    second = desk.get(html.unescape(older)).get_data(as_text=True)
    assert "K-3" in second and "K-2" in second and "K-5" not in second
    assert "Newest invoices" in second
    found = desk.get("/staff/?q=nabel").get_data(as_text=True)
    assert "K-5" in found and "Annabella Verdi" in found
    assert "No invoices match." in desk.get("/staff/?q=nabel+zzz").get_data(as_text=True)
    by_number = desk.get("/staff/?q=K-1").get_data(as_text=True)
    assert "K-1" in by_number and "K-2" not in by_number
    by_mail = desk.get("/staff/?q=av@ex&status=open").get_data(as_text=True)
    assert "K-5" in by_mail and '<span class="status status-open">Open</span>' in by_mail
