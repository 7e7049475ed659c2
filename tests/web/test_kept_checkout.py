"""The checkout kept like the bill: one statement while nothing changed, a new page after a
payment or a ledger entry, the session's own CSRF token and resume note in every copy; and a
verify page that writes nothing. The checkout's rate limit is tested with the bill's
(`tests/web/test_bill_page.py`)."""

import html
import re

from itsdangerous import TimestampSigner

from portal.extensions import db
from portal.models import Invoice
from portal.patient import session as patient_session
from portal.patient.bill_cache import CSRF_MARK, RESUME_MARK
from portal.services.access import links
from portal.services.billing import money
from portal.services.core.audit import SYSTEM
from tests.web import bill_scenarios
from tests.web.patient_client import open_and_verify
from tests.web.test_bill_page import counted_statements, verified_client

RESUME = re.compile(r'name="resume" value="([^"]+)"')
AMOUNT = re.compile(r'id="amount">([^<]+)<')


def amount_shown(response) -> str:
    return AMOUNT.search(html.unescape(response.get_data(as_text=True)))[1]


def test_a_second_look_at_the_checkout_costs_one_statement(web_app):
    client, _ = verified_client(web_app)
    first = client.get("/pay/checkout")
    assert first.status_code == 200
    with counted_statements(web_app) as statements:
        again = client.get("/pay/checkout")
    assert len(statements) == 1, statements
    body = again.get_data(as_text=True)
    assert body == first.get_data(as_text=True)
    assert amount_shown(again) == "€354.50"
    assert CSRF_MARK not in body and RESUME_MARK not in body
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_payment_changes_the_kept_checkout_at_once(web_app):
    client, invoice_id = verified_client(web_app)
    first = client.get("/pay/checkout")
    assert amount_shown(first) == "€354.50"
    with web_app.app_context():
        money.record_desk_payment(db.session.get(Invoice, invoice_id), 5000, "cash", SYSTEM)
        db.session.commit()
    after = client.get("/pay/checkout")
    assert amount_shown(after) == "€304.50"
    assert after.headers["ETag"] != first.headers["ETag"]
    with web_app.app_context():
        money.record_desk_payment(db.session.get(Invoice, invoice_id), 30450, "cash", SYSTEM)
        db.session.commit()
    paid = client.get("/pay/checkout")
    assert paid.status_code == 200
    assert 'id="pay-form"' not in paid.get_data(as_text=True)


def test_each_link_of_one_invoice_gets_its_own_resume_note(web_app):
    client, invoice_id = verified_client(web_app)
    with web_app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        second_link, second_token = links.issue(invoice, SYSTEM)
        db.session.commit()
        second_id = second_link.id
    other = web_app.test_client()
    assert open_and_verify(other, second_token).status_code == 302
    mine = RESUME.search(client.get("/pay/checkout").get_data(as_text=True))[1]
    theirs = RESUME.search(other.get("/pay/checkout").get_data(as_text=True))[1]
    with web_app.test_request_context():
        assert patient_session.link_to_resume(theirs).id == second_id
        assert patient_session.link_to_resume(mine).id != second_id
        assert patient_session.link_to_resume(mine).invoice_id == invoice_id


def test_a_look_at_the_verify_page_writes_nothing(web_app):
    with web_app.app_context():
        _, token = bill_scenarios.build("plain")
    client = web_app.test_client()
    client.get(f"/p/{token}")
    assert client.get("/pay/verify").status_code == 200
    with counted_statements(web_app) as statements:
        response = client.get("/pay/verify")
    assert response.status_code == 200
    assert len(statements) == 1, statements
    assert statements[0].lstrip().upper().startswith("SELECT")


def test_every_worker_writes_the_same_resume_note_in_one_window(web_app, monkeypatch):
    start = (int(patient_session._now()) // 60) * 60  # a window's first second
    clock = {"now": start + 10.0}
    monkeypatch.setattr(patient_session, "_now", lambda: clock["now"])
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: int(clock["now"]))
    client, _ = verified_client(web_app)
    name = patient_session.RESUME_COOKIE
    client.get("/pay/checkout")
    note = client.get_cookie(name, path="/pay").value
    clock["now"] = start + 40.0  # later in the same window, on a worker that kept nothing yet
    web_app.extensions["saldo_resume_notes"].clear()
    for path in ("/pay/checkout", "/pay"):
        again = client.get(path)
        assert again.status_code == 200
        assert [c for c in again.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")] == []
    assert client.get_cookie(name, path="/pay").value == note
