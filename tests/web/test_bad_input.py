"""Ordinary data that used to break pages: odd invoice numbers, practice names, control
characters in names, through the forms, the API and CSV files."""

import pytest

from portal.extensions import db
from portal.gateways.mail import SMTPMailer
from portal.models import Patient, Practice
from portal.services import messaging
from portal.services.billing import imports, money
from portal.services.core.audit import SYSTEM, Actor
from tests import factories
from tests.api.conftest import PATIENT, make_api
from tests.web.patient_client import open_and_verify
from tests.web.staff_client import csrf, make_staff, sign_in


def paid_receipt(web_app, number):
    with web_app.app_context():
        invoice, token = factories.invoice_with_link(amounts=(5000,))
        invoice.number = number
        db.session.commit()
        payment = money.record_desk_payment(invoice, 5000, "cash", SYSTEM)
        db.session.commit()
        return token, payment.id


@pytest.mark.parametrize(
    ("number", "disposition"),
    [
        (
            "2026–0001",
            'inline; filename="ricevuta-2026-0001-{id}.pdf"; '
            "filename*=UTF-8''ricevuta-2026%E2%80%930001-{id}.pdf",
        ),
        (
            'A"; filename="evil.exe',
            'inline; filename="ricevuta-A_ filename_evil.exe-{id}.pdf"; '
            "filename*=UTF-8''ricevuta-A%22%3B%20filename%3D%22evil.exe-{id}.pdf",
        ),
    ],
)
def test_odd_invoice_numbers_download_a_receipt(web_app, number, disposition):
    token, payment_id = paid_receipt(web_app, number)
    client = web_app.test_client()
    open_and_verify(client, token)
    response = client.get(f"/pay/payments/{payment_id}/receipt.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == disposition.format(id=payment_id)
    assert response.data.startswith(b"%PDF")


def test_a_practice_name_with_a_line_break_and_commas_sends_one_sender(app, smtp):
    app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    practice = factories.practice(name="Studio Rossi,\r\nDott. Bianchi, Dott. Verdi <x@evil>")
    invoice = factories.invoice(factories.patient(practice, locale="en"))
    delivery = messaging.send_link(invoice, "email", Actor("staff", "1", "127.0.0.1"))
    db.session.commit()
    assert delivery.status == "sent"
    [message] = smtp.messages
    [sender] = message["From"].addresses
    assert sender.display_name == "Studio Rossi, Dott. Bianchi, Dott. Verdi <x@evil>"
    assert sender.addr_spec == "no-reply@saldo.invalid"
    assert message["Subject"] == "Your bill from Studio Rossi, Dott. Bianchi, Dott. Verdi <x@evil>"
    assert message["Reply-To"].addresses[0].addr_spec == "info@studio.example"


@pytest.fixture
def owner(web_app):
    with web_app.app_context():
        practice = factories.practice()
        email = make_staff(practice, "owner").email
        practice_id = practice.id
    client = web_app.test_client()
    sign_in(client, email)
    return client, practice_id


NOT_ALLOWED = "Line breaks, tabs and other control characters are not allowed here."


@pytest.mark.parametrize("bad", ["Rossi\nBianchi", "Ros\tsi", "Ros\x00si", "Ros\u2028si"])
def test_forms_refuse_control_characters_in_names(owner, web_app, bad):
    client, practice_id = owner
    patient = client.post(
        "/staff/patients/new",
        data={
            "csrf_token": csrf(client),
            "first_name": "Giulia",
            "last_name": bad,
            "date_of_birth": "1984-03-09",
            "locale": "it",
        },
    )
    assert patient.status_code == 200
    assert NOT_ALLOWED in patient.get_data(as_text=True)
    settings = client.post(
        "/staff/settings",
        data={"csrf_token": csrf(client), "name": bad, "brand_colour": "#0b5cad"},
    )
    assert NOT_ALLOWED in settings.get_data(as_text=True)
    staff = client.post(
        "/staff/users",
        data={
            "csrf_token": csrf(client),
            "name": bad,
            "email": "new@example.org",
            "role": "billing",
            "locale": "it",
            "password": "a long enough password",
        },
    )
    assert NOT_ALLOWED in staff.get_data(as_text=True)
    with web_app.app_context():
        assert db.session.scalars(db.select(Patient)).all() == []
        assert db.session.get(Practice, practice_id).name == "Studio Dentistico Rossi"


def test_invoice_form_refuses_a_line_break_in_the_number(owner, web_app):
    client, practice_id = owner
    with web_app.app_context():
        patient_id = factories.patient(db.session.get(Practice, practice_id)).id
        db.session.commit()
    response = client.post(
        f"/staff/patients/{patient_id}/invoices/new",
        data={
            "csrf_token": csrf(client),
            "number": "2026\r\n0001",
            "issued_on": "2026-11-10",
            "due_on": "2026-12-10",
            "then": "draft",
            "lines-0-description": "Igiene",
            "lines-0-charged": "90",
        },
    )
    assert NOT_ALLOWED in response.get_data(as_text=True)


@pytest.mark.parametrize("bad", ["Ros\nsi", "Ros\tsi", "Ros\rsi"])
def test_api_refuses_line_breaks_in_names(web_app, bad):
    api = make_api(web_app)
    response = api.post("/patients", {**PATIENT, "last_name": bad})
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == (
        "last_name contains characters that are not allowed."
    )


def test_csv_refuses_control_characters_in_names(app):
    practice = factories.practice()
    text = (
        "First name,Last name,Date of birth,Invoice number,Issue date,Due date,Service date,Description,Charged\n"
        'Giulia,"Bian\nchi",1984-03-09,A-1,2026-03-01,2026-03-31,2026-02-20,Cleaning,120.00\n'
        'Marco,Rossi,1979-11-23,"A\t2",2026-03-01,2026-03-31,2026-02-20,Cleaning,120.00\n'
    )
    csv_file = imports.read_csv(text.encode())
    mapping = imports.guess_mapping(csv_file.headers)
    result = imports.commit(practice, csv_file, mapping, actor=SYSTEM)
    assert not result.imported
    assert [(e.row, e.column, str(e)) for e in result.errors] == [
        (2, "Last name", "Row 2: Last name contains a line break, tab or control character."),
        (
            3,
            "Invoice number",
            "Row 3: Invoice number contains a line break, tab or control character.",
        ),
    ]
