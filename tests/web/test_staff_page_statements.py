"""The staff invoice and patient pages cost a fixed number of SQL statements, whatever the
number of payments, refunds, offers, fiscal documents, plans, reminders and messages."""

import html

import pytest

from portal.extensions import db
from portal.models import Invoice
from portal.models.staff import LoginAttempt
from tests import factories
from tests.web import staff_page_scenarios
from tests.web.staff_client import make_staff, sign_in
from tests.web.test_bill_page import counted_statements

#: the signed-in member and their practice (2), the invoice (1), its page (17: lines, patient,
#: fiscal profile, ledger sums, payments with refunds, chargebacks, credits, plans with
#: installments, messages, timeline, locked links, hold, reminders, calls, offers, fiscal
#: documents, codice fiscale; 15 where Saldo issues no fiscal documents) and the layout's
#: open questions (1)
INVOICE_PAGE = {"IT": 21, "US": 19}
#: the member (2), the patient (1), invoices and consents (2), for an Italian practice its
#: fiscal profile and the codice fiscale (2), the open questions (1)
PATIENT_PAGE = {"IT": 8, "US": 6}


def signed_in(app, count: int, country: str):
    with app.app_context():
        invoice = db.session.get(Invoice, staff_page_scenarios.build(count, country))
        email = make_staff(invoice.practice, "billing").email
        ids = invoice.id, invoice.patient_id
    client = app.test_client()
    sign_in(client, email)
    return client, ids


@pytest.mark.parametrize("country", ["IT", "US"])
@pytest.mark.parametrize("count", [1, 6])
def test_the_invoice_page_costs_the_same_statements_however_much_it_shows(web_app, country, count):
    client, (invoice_id, _) = signed_in(web_app, count, country)
    with counted_statements(web_app) as statements:
        response = client.get(f"/staff/invoices/{invoice_id}")
    assert response.status_code == 200
    assert len(statements) == INVOICE_PAGE[country], statements
    page = html.unescape(response.get_data(as_text=True))
    assert page.count('class="payment"') == count + 1 + count  # payments, then plans
    assert page.count('<li id="offer-') == count + 1
    one = "€1.00" if country == "IT" else "$1.00"
    assert page.count(f"Refund of {one}: Treatment not done") == count
    if country == "IT":
        assert page.count("Issue the health invoice for the payment of") == 1  # the cash one
        assert page.count("Issue the credit note for the refund of") == (count + 1) // 2


@pytest.mark.parametrize("country", ["IT", "US"])
@pytest.mark.parametrize("count", [1, 6])
def test_the_patient_page_costs_the_same_statements_however_much_it_shows(web_app, country, count):
    client, (_, patient_id) = signed_in(web_app, count, country)
    with counted_statements(web_app) as statements:
        response = client.get(f"/staff/patients/{patient_id}")
    assert response.status_code == 200
    assert len(statements) == PATIENT_PAGE[country], statements
    page = response.get_data(as_text=True)
    assert page.count("Consent text") == count
    assert ("BNCGLI84C49H501F" in page) is (country == "IT")


@pytest.mark.parametrize("staff", [2, 8])
def test_the_staff_list_marks_the_locked_account_in_the_same_statements(web_app, staff):
    with web_app.app_context():
        practice = factories.practice()
        owner = make_staff(practice, "owner").email
        members = [make_staff(practice, "billing", f"b{n}@example.org") for n in range(staff)]
        for _ in range(5):
            db.session.add(
                LoginAttempt(email=members[0].email, ip_address="192.0.2.1", succeeded=False)
            )
        db.session.commit()
        locked_id = members[0].id
    client = web_app.test_client()
    sign_in(client, owner)
    with counted_statements(web_app) as statements:
        response = client.get("/staff/users")
    assert response.status_code == 200
    # the member and their practice, the staff, their wrong passwords, the open questions
    assert len(statements) == 5, statements
    page = response.get_data(as_text=True)
    assert page.count("<strong>locked</strong>") == 1
    assert page.count('action="/staff/users/') == 1 + 2 * staff  # unlock; sign out, deactivate
    assert f'action="/staff/users/{locked_id}/unlock"' in page
