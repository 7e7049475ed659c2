"""Roles and practice isolation, tried on every staff endpoint the app has."""

import re
from datetime import date

import pytest

from portal.extensions import db
from portal.models import (
    BillQuestion,
    CallTask,
    ImportJob,
    Payment,
    PendingWork,
    PlanPolicy,
    SettlementOffer,
)
from portal.services.access import links
from portal.services.billing import money
from portal.services.core import outbox
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import documents as fiscal_documents
from portal.services.plans import plans
from portal.services.practice import api_keys
from tests import factories, fiscal_factories
from tests.web.staff_client import csrf, make_staff, sign_in

PUBLIC = {"staff.login", "staff.login_code", "staff.reset_request", "staff.reset_password"}
#: a signed-in user's own account pages, open to every role
OWN_ACCOUNT = {
    "staff.logout",
    "staff.security",
    "staff.security_off",
    "staff.recovery_codes",
    "staff.password_change",
    "staff.email_change",
    "staff.sign_out_everywhere",
}
PARAMS = {
    "invoice_id",
    "job_id",
    "patient_id",
    "payment_id",
    "key_id",
    "user_id",
    "plan_id",
    "task_id",
    "offer_id",
    "link_id",
    "document_id",
    "refund_id",
    "work_id",
    "question_id",
}


@pytest.fixture
def world(web_app):
    """Practice A with one of everything, and a user of each role; practice B's owner."""
    with web_app.app_context():
        a = fiscal_factories.italian_practice(slug="a")
        b = factories.practice(slug="b", name="Other Practice")
        invoice = factories.invoice(fiscal_factories.patient_with_cf(a), amounts=(10000,))
        payment = money.record_desk_payment(invoice, 1000, "cash", SYSTEM)
        key, _ = api_keys.create(a, "pms")
        db.session.add(PlanPolicy(practice_id=a.id, min_balance_minor=0, min_installment_minor=100))
        plan = plans.choose(invoice, 3, date(2026, 11, 1), "it", SYSTEM)
        task = CallTask(
            practice_id=a.id,
            invoice_id=invoice.id,
            patient_id=invoice.patient_id,
            due_on=date(2026, 11, 1),
            position=1,
        )
        offer = SettlementOffer(
            practice_id=a.id, invoice_id=invoice.id, amount_minor=500, expires_on=date(2099, 1, 1)
        )
        link, _token = links.issue(invoice, SYSTEM)
        refund = money.refund(payment, 100, "price correction", SYSTEM)
        document = fiscal_documents.issue_invoice(payment, SYSTEM)
        question = BillQuestion(
            practice_id=a.id, invoice_id=invoice.id, text="Why is the cleaning billed twice?"
        )
        db.session.add_all([task, offer, question])
        outbox.enqueue(
            outbox.RECEIPT,
            "access-test",
            practice_id=a.id,
            invoice_id=invoice.id,
            payment_id=payment.id,
        )
        work = db.session.scalar(db.select(PendingWork).filter_by(dedupe_key="access-test"))
        users = {role: make_staff(a, role) for role in ("owner", "billing", "viewer")}
        outsider = make_staff(b, "owner")
        job = ImportJob(practice_id=a.id, staff_user_id=users["owner"].id, filename="bills.csv")
        db.session.add(job)
        db.session.commit()
        ids = dict(
            invoice_id=invoice.id,
            patient_id=invoice.patient_id,
            payment_id=payment.id,
            key_id=key.id,
            user_id=users["viewer"].id,
            plan_id=plan.id,
            task_id=task.id,
            offer_id=offer.id,
            link_id=link.id,
            refund_id=refund.id,
            document_id=document.id,
            work_id=work.id,
            job_id=job.id,
            question_id=question.id,
            day="2026-11-01",
        )
        emails = {role: user.email for role, user in users.items()}
        return ids, emails, outsider.email


def staff_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff.") and rule.endpoint not in PUBLIC:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def url_for_rule(rule, ids):
    return re.sub(r"<(?:int:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)


def call(client, method, url):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf(client)})


def test_every_endpoint_needs_sign_in(client, web_app, world):
    """Each POST carries a valid CSRF token, so what refuses it is the sign-in check."""
    ids, _, _ = world
    token = csrf(client, "/staff/login")
    checked = 0
    for rule, method in staff_routes(web_app):
        url = url_for_rule(rule, ids)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302, (rule.rule, method, response.status_code)
        assert response.headers["Location"].startswith("/staff/login"), (rule.rule, method)
        checked += 1
    assert checked >= 60


def test_posts_without_a_csrf_token_are_refused_when_signed_in(client, web_app, world):
    ids, emails, _ = world
    sign_in(client, emails["owner"])
    for rule, method in staff_routes(web_app):
        if method == "POST":
            response = client.post(url_for_rule(rule, ids))
            assert response.status_code == 400, (rule.rule, response.status_code)


def test_other_practices_objects_are_404_everywhere(client, web_app, world):
    ids, _, outsider = world
    sign_in(client, outsider)
    checked = 0
    for rule, method in staff_routes(web_app):
        if not PARAMS & set(rule.arguments):
            continue
        response = call(client, method, url_for_rule(rule, ids))
        assert response.status_code == 404, (rule.rule, method, response.status_code)
        checked += 1
    assert checked >= 14


def test_viewer_reads_but_changes_nothing(client, web_app, world):
    ids, emails, _ = world
    sign_in(client, emails["viewer"])
    for rule, method in staff_routes(web_app):
        if rule.endpoint in OWN_ACCOUNT:
            continue
        response = call(client, method, url_for_rule(rule, ids))
        read_only = method == "GET" and rule.endpoint in {
            "staff.dashboard",
            "staff.patient_list",
            "staff.patient_detail",
            "staff.invoice_detail",
            "staff.plan_check",
            "staff.invoice_preview",
            "staff.alerts",
            "staff.call_queue",
            "staff.letter_days",
            "staff.reports_page",
            "staff.reports_aging_csv",
            "staff.fiscal_documents",
            "staff.fiscal_document_pdf",
            "staff.questions",
        }
        expected = 200 if read_only else 403
        if rule.endpoint in ("staff.plan_agreement", "staff.letter_batch"):
            expected = 404  # readable by viewers, but there is no signed plan or letter yet
        if rule.endpoint == "staff.fiscal_statement_pdf":
            expected = 404  # readable by viewers; statements are for US practices only
        assert response.status_code == expected, (rule.rule, method, response.status_code)
    with web_app.app_context():
        assert len(db.session.scalars(db.select(Payment)).all()) == 1


def test_billing_cannot_reach_owner_settings(client, web_app, world):
    ids, emails, _ = world
    sign_in(client, emails["billing"])
    for path in ("/staff/settings", "/staff/users", "/staff/api-keys"):
        assert client.get(path).status_code == 403
    assert client.get(f"/staff/invoices/{ids['invoice_id']}").status_code == 200
    assert client.get("/staff/patients/new").status_code == 200
