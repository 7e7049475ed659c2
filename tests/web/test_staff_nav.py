"""The staff layout's figures are read only by a page that shows them, once per request: a
staff error page, which has no staff navigation, sends no statement for them."""

import html

from portal.extensions import db
from portal.models import BillQuestion
from portal.services.collections import bill_questions
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.web.staff_client import make_staff, sign_in
from tests.web.test_bill_page import counted_statements


def _signed_in_with_a_question(app):
    with app.app_context():
        invoice = factories.invoice(factories.patient(factories.practice(), locale="en"))
        bill_questions.ask(invoice, "Why this amount?", SYSTEM, invoice.issued_on)
        email = make_staff(invoice.practice, "billing").email
        db.session.commit()
    client = app.test_client()
    sign_in(client, email)
    return client


def _asks_open_questions(statement: str) -> bool:
    return BillQuestion.__tablename__ in statement and "count(" in statement.lower()


def test_only_a_page_showing_the_nav_counts_the_open_questions(web_app):
    client = _signed_in_with_a_question(web_app)
    with counted_statements(web_app) as error:
        page = client.get("/staff/users")
    assert page.status_code == 403  # a billing member may not manage staff: the error page
    with counted_statements(web_app) as shown:
        shown_nav = client.get("/staff/account/security")
    assert shown_nav.status_code == 200
    text = html.unescape(shown_nav.get_data(as_text=True))
    assert 'id="nav-questions">Questions <span class="count">1</span>' in text
    assert 'id="nav-questions"' not in page.get_data(as_text=True)
    assert [s for s in error if _asks_open_questions(s)] == []
    assert len([s for s in shown if _asks_open_questions(s)]) == 1
    # the error page: the signed-in member; the security page: the member, the practice
    # (the layout's name) and the open questions
    assert len(error) == 1, error
    assert len(shown) == 3, shown
