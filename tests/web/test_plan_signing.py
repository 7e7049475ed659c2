"""The plan pages over HTTP: the method before the agreement, the stored document shown,
the separate approval of the onerous clauses, the access demonstration recorded, and no
"no interest" wording beside a plan that costs something."""

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from portal.extensions import db
from portal.models import DiscountPolicy, Plan, PlanPolicy
from portal.services.access import links
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.web.patient_client import csrf_token, open_and_verify
from tests.web.staff_client import csrf, make_staff, sign_in

APPROVAL = "I specifically approve clause 3 (loss of the benefit of the term)."


def _billed(web_app, practice_values=None, discount=None, locale="it"):
    with web_app.app_context():
        practice = factories.practice(**(practice_values or {}))
        db.session.add(PlanPolicy(practice_id=practice.id, allowed_counts="3,6"))
        if discount:
            db.session.add(
                DiscountPolicy(practice_id=practice.id, percent=discount, within_days=10)
            )
        today = datetime.now(ZoneInfo(practice.timezone)).date()
        invoice = factories.invoice(
            factories.patient(practice, locale=locale), amounts=(154500,), today=today
        )
        _, token = links.issue(invoice, SYSTEM)
        db.session.commit()
        return invoice.id, token


def _plan(web_app, invoice_id) -> Plan:
    with web_app.app_context():
        plan = db.session.scalars(
            db.select(Plan).filter_by(invoice_id=invoice_id).order_by(Plan.id.desc())
        ).first()
        db.session.expunge(plan)
        return plan


def _to_consent(client):
    client.post("/pay/plan", data={"csrf_token": csrf_token(client, "/pay/plan"), "count": "6"})
    page = client.get("/pay/plan/consent").get_data(as_text=True)
    client.get("/pay/plan/sample.pdf")
    client.post("/pay/plan/consent", data={"csrf_token": csrf_token(client, "/pay"), "agree": "y"})
    return page


def test_sepa_plan_shows_signs_and_stores_one_document(web_app):
    invoice_id, token = _billed(web_app)
    client = web_app.test_client()
    open_and_verify(client, token)
    consent_page = _to_consent(client)
    assert client.get("/pay/plan/sign").headers["Location"].endswith("/pay/plan/method")
    client.post(
        "/pay/plan/method",
        data={"csrf_token": csrf_token(client, "/pay"), "method": "sepa_debit"},
    )
    page = client.get("/pay/plan/sign").get_data(as_text=True)
    plan = _plan(web_app, invoice_id)
    assert plan.method == "sepa_debit" and plan.document_html.decode() in page
    assert "sul conto corrente (addebito diretto SEPA)" in plan.document_html.decode()
    assert plan.consent_html.decode() in consent_page
    assert plan.evidence["sample_opened_at"] and plan.evidence["consent_sha256"]
    assert "Approvazione specifica" in page
    sha = re.search(r'name="document_sha256" type="hidden" value="([0-9a-f]+)"', page).group(1)
    assert sha == plan.document_sha256
    form = {"csrf_token": csrf_token(client, "/pay"), "document_sha256": sha}
    refused = client.post("/pay/plan/sign", data={**form, "full_name": "Giulia Bianchi"})
    assert refused.status_code == 422
    refusal = html.unescape(refused.get_data(as_text=True)).lower()
    assert "approvi separatamente la clausola 3" in refusal
    assert _plan(web_app, invoice_id).signed_at is None
    signed = client.post(
        "/pay/plan/sign",
        data={
            **form,
            "full_name": "Giulia Bianchi",
            "onerous_approved": "y",
            "onerous_name": "Giulia Bianchi",
        },
    )
    assert signed.status_code == 302 and signed.headers["Location"].endswith("/pay/plan/pay")
    plan = _plan(web_app, invoice_id)
    assert plan.evidence["method"] == "sepa_debit" and plan.evidence["onerous_clauses"] == [3]
    assert plan.document_html.decode() in page  # nothing rendered again after showing
    # the down payment page offers only the method the agreement names
    pay = client.get("/pay/plan/pay").get_data(as_text=True)
    assert '<input type="hidden" name="method" value="sepa_debit">' in pay
    assert (
        'value="card"' not in pay and '<div id="card-section" class="method-section" hidden>' in pay
    )


@pytest.mark.parametrize("locale", ["en", "it"])
def test_plan_options_never_say_no_interest_beside_a_cost(web_app, locale):
    _, token = _billed(web_app, factories.USA, discount=5, locale=locale)
    client = web_app.test_client()
    open_and_verify(client, token)
    page = html.unescape(client.get("/pay/plan").get_data(as_text=True))
    assert not re.search(r"no interest|no fees|senza interessi|nessun interesse", page, re.I)
    assert ("Annual percentage rate" if locale == "en" else "Tasso annuo effettivo") in page


def test_plan_options_without_a_discount_say_there_is_no_cost(web_app):
    _, token = _billed(web_app, factories.USA, locale="en")
    client = web_app.test_client()
    open_and_verify(client, token)
    page = html.unescape(client.get("/pay/plan").get_data(as_text=True))
    assert "No interest and no fees." in page and "Annual percentage rate" not in page


def test_owner_is_warned_when_the_discount_makes_plans_expensive(web_app):
    with web_app.app_context():
        practice = factories.practice(**factories.USA)
        db.session.add(PlanPolicy(practice_id=practice.id, allowed_counts="3,12"))
        email = make_staff(practice, "owner").email
        db.session.commit()
    client = web_app.test_client()
    sign_in(client, email)
    form = dict(enabled="y", percent="50", within_days="10")
    client.post("/staff/settings/discounts", data={"csrf_token": csrf(client), **form})
    page = html.unescape(client.get("/staff/settings/discounts").get_data(as_text=True))
    assert 'id="high-apr"' in page and "annual percentage rate of up to" in page
    form["percent"] = "1"
    client.post("/staff/settings/discounts", data={"csrf_token": csrf(client), **form})
    page = client.get("/staff/settings/discounts").get_data(as_text=True)
    assert 'id="high-apr"' not in page
