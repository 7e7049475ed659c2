"""Staff and plans: the practice's policy form, and checking a sealed agreement."""

import pytest

from portal.extensions import db
from portal.models import PlanPolicy
from tests import factories
from tests.services.plans.test_plans import pay_down_payment, signed_plan
from tests.web.staff_client import csrf, make_staff, sign_in


def owner_client(web_app, practice=None):
    with web_app.app_context():
        practice = practice or factories.practice()
        email = make_staff(practice, "owner").email
        practice_id = practice.id
    client = web_app.test_client()
    sign_in(client, email)
    return client, practice_id


def test_owner_sets_the_plan_policy(web_app):
    client, practice_id = owner_client(web_app)
    form = dict(
        enabled="y",
        allowed_counts="12, 3,6",
        min_down_percent="20",
        min_down="50",
        min_installment="25,00",
        min_balance="200",
        day_of_month="5",
        retry_days="2,4",
    )
    response = client.post("/staff/settings/plans", data={"csrf_token": csrf(client), **form})
    assert response.status_code == 302
    with web_app.app_context():
        policy = db.session.scalar(db.select(PlanPolicy).filter_by(practice_id=practice_id))
        assert (policy.allowed_counts, policy.min_down_percent, policy.min_down_minor) == (
            "3,6,12",
            20,
            5000,
        )
        assert (policy.min_installment_minor, policy.min_balance_minor) == (2500, 20000)
        assert (policy.day_of_month, policy.retries) == (5, [2, 4])


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("allowed_counts", "3, seven", "List numbers from 2 to 60"),
        ("retry_days", "0", "List days from 1 to 30"),
        ("day_of_month", "31", "Between 1 and 28."),
        ("min_installment", "-5", "Enter amounts like 120.50."),
    ],
)
def test_bad_policy_changes_nothing(web_app, field, value, message):
    client, _practice_id = owner_client(web_app)
    form = dict(
        enabled="y",
        allowed_counts="3,6",
        min_down_percent="10",
        min_down="0",
        min_installment="25",
        min_balance="100",
        day_of_month="",
        retry_days="3,5,7",
    )
    form[field] = value
    response = client.post("/staff/settings/plans", data={"csrf_token": csrf(client), **form})
    assert message in response.get_data(as_text=True)
    with web_app.app_context():
        assert db.session.scalars(db.select(PlanPolicy)).all() == []


@pytest.mark.stripe
def test_staff_check_the_sealed_agreement(stripe_app):
    invoice, plan, saved = signed_plan(stripe_app, locale="en")
    pay_down_payment(invoice, plan, saved)
    user = make_staff(invoice.practice, "viewer")
    plan_id, email = plan.id, user.email
    db.session.commit()
    client = stripe_app.test_client()
    sign_in(client, email)
    page = client.get(f"/staff/plans/{plan_id}/check").get_data(as_text=True)
    assert page.count(">yes<") == 4
    assert "PAdES B-B" in page  # no TSA configured in this app
    pdf = client.get(f"/staff/plans/{plan_id}/agreement.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    detail = client.get(f"/staff/invoices/{invoice.id}").get_data(as_text=True)
    assert "Plan signed" in detail and "Plan active" in detail
