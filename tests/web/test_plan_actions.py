"""A running plan: paying ahead or off first shows the amount and the card, and changing the
card ends on a confirmation naming the new one ("Visa •••• 4242")."""

from datetime import date, datetime

import pytest

from portal.extensions import db
from portal.models import Invoice, Payment
from portal.models.plan import Installment, Plan
from tests import factories
from tests.conftest import _make_app
from tests.support import stripe_js
from tests.web.patient_client import open_and_verify, post_json

pytestmark = pytest.mark.stripe


@pytest.fixture
def app(sqlite_url, stripe_base):
    app = _make_app(sqlite_url, stripe_base)
    yield app
    with app.app_context():
        db.engine.dispose()


def save_card(app, client, number: str) -> str:
    secret = post_json(client, "/pay/setup", {"method": "card"}).get_json()["client_secret"]
    return stripe_js.confirm_card_setup(app.config["STRIPE_API_BASE"], secret, number)["id"]


def plan_patient(app):
    """A verified patient owing €154.50 on a plan of 3 installments of €51.50, none paid,
    whose saved card is a Visa ending 4242 (the plan knows only that it is a card)."""
    with app.app_context():
        invoice, token = factories.invoice_with_link(locale="en")
        invoice_id = invoice.id
    client = app.test_client()
    open_and_verify(client, token)
    setup = stripe_js.get(
        app.config["STRIPE_API_BASE"],
        f"/v1/setup_intents/{save_card(app, client, '4242424242424242')}",
    )
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        plan = Plan(
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            patient_id=invoice.patient_id,
            currency="EUR",
            status="active",
            total_minor=15450,
            down_payment_minor=0,
            installment_count=3,
            amount_financed_minor=15450,
            agreement_version="2026-11-v1",
            language="en",
            method="card",
            stripe_payment_method_id=setup["payment_method"],
            signed_at=datetime(2026, 11, 1),
        )
        for n, due in enumerate((date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1))):
            plan.installments.append(Installment(sequence=n + 1, due_on=due, amount_minor=5150))
        db.session.add(plan)
        db.session.commit()
    return client, invoice_id


def test_pay_ahead_shows_amount_and_card_first(app):
    client, invoice_id = plan_patient(app)
    bill = client.get("/pay").get_data(as_text=True)
    assert 'href="/pay/plan/pay-now?what=next"' in bill and "data-what" not in bill
    page = client.get("/pay/plan/pay-now?what=next").get_data(as_text=True)
    assert '<dd id="confirm-amount">€51.50</dd>' in page
    assert '<dd id="confirm-method">Card</dd>' in page  # no label stored yet: the kind only
    assert 'data-what="next" data-amount="5150"' in page and "Pay €51.50" in page
    with app.app_context():
        assert db.session.scalars(db.select(Payment)).all() == []  # the page charges nothing
    rest = client.get("/pay/plan/pay-now?what=rest").get_data(as_text=True)
    assert '<dd id="confirm-amount">€154.50</dd>' in rest
    assert client.get("/pay/plan/pay-now?what=everything").status_code == 404

    body = post_json(client, "/pay/plan/pay-now", {"what": "next", "amount_minor": 5150})
    assert body.get_json()["status"] == "succeeded"
    with app.app_context():
        payment = db.session.scalars(db.select(Payment)).one()
        assert (payment.amount_minor, payment.invoice_id) == (5150, invoice_id)
        assert db.session.get(Installment, payment.installment_id).sequence == 1


def test_a_changed_card_is_confirmed_and_named_on_the_plan(app):
    client, _ = plan_patient(app)
    page = client.get("/pay/plan/card").get_data(as_text=True)
    assert "Now: Card. Nothing is charged now." in page
    seti = save_card(app, client, "4000056655665556")
    answer = post_json(client, "/pay/plan/card", {"setup_intent_id": seti}).get_json()
    assert answer == {"status": "saved", "next": "/pay/plan/card/saved"}
    saved = client.get(answer["next"]).get_data(as_text=True)
    assert "Your new payment method is saved" in saved
    assert "From now on your installments are charged to Visa •••• 5556." in saved
    assert "Next charge: €51.50 on December 1, 2026" in saved
    bill = client.get("/pay").get_data(as_text=True)
    assert '<span class="plan-method">Visa •••• 5556</span>' in bill
    confirm = client.get("/pay/plan/pay-now?what=rest").get_data(as_text=True)
    assert '<dd id="confirm-method">Visa •••• 5556</dd>' in confirm
    with app.app_context():
        plan = db.session.scalars(db.select(Plan)).one()
        assert plan.method_label == "Visa •••• 5556"
        assert "payment_method_changed_at" in plan.evidence


def test_the_label_names_brands_as_they_are_written():
    from portal.gateways.stripe_gateway import MethodSummary
    from portal.services.payments.payment_methods import label

    assert label(MethodSummary("card", "visa", "4242")) == "Visa •••• 4242"
    assert label(MethodSummary("card", "amex", "0005")) == "American Express •••• 0005"
    assert label(MethodSummary("card", "cartes_bancaires", "1001")) == "Cartes Bancaires •••• 1001"
    assert label(MethodSummary("sepa_debit", None, "3000", "DE")) == "IBAN DE •••• 3000"
