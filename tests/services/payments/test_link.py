"""Link on real Stripe: offered in the Payment Element, saved by a SetupIntent for
off-session use and charged for the down payment and each installment with the saved `link`
PaymentMethod, with the parameters Stripe documents. localstripe knows no Link, so these run
against Stripe's edge as `tests/support/stripe_edge.py` plays it."""

import pytest

from portal.extensions import db
from portal.gateways.stripe_gateway import StripeGateway
from portal.models import Payment
from portal.services.billing import ledger
from portal.services.core import jobs
from portal.services.payments import payment_methods, payments, saved_methods
from portal.services.plans import agreements
from tests import factories
from tests.support import plans as plan_support
from tests.support.stripe_edge import LINK_EMAIL, LINK_METHOD, StripeEdge

PATIENT = plan_support.PATIENT


@pytest.fixture
def edge(app):
    with StripeEdge() as edge:
        app.config.update(STRIPE_API_BASE=None, STRIPE_ELEMENTS="")
        app.extensions["saldo.stripe"] = edge.gateway()
        yield edge


def signed_card_plan(invoice):
    offered = agreements.offered_methods(saved_methods.methods_for(invoice))
    assert offered == ["card", "sepa_debit"]  # an agreement names a card, Link pays with one
    return plan_support.signed_card_plan(invoice, locale="it")


def test_link_is_offered_only_with_the_payment_element(app, edge):
    invoice = factories.invoice(factories.patient(factories.practice()))
    assert saved_methods.methods_for(invoice) == ["card", "sepa_debit", "link"]
    assert saved_methods.agreed_methods(invoice, "sepa_debit") == ["sepa_debit"]
    assert saved_methods.agreed_methods(invoice, "card") == ["card", "link"]
    assert saved_methods.agreed_methods(invoice, "link") == ["card", "link"]
    app.config["STRIPE_ELEMENTS"] = "card"  # the Card Element cannot save a Link method
    assert saved_methods.methods_for(invoice) == ["card", "sepa_debit"]
    assert saved_methods.agreed_methods(invoice, "link") == ["card"]


def test_a_plan_saved_with_link_is_charged_off_session_with_it(app, edge):
    invoice = factories.invoice(factories.patient(factories.practice()), (120000, 34500))
    plan = signed_card_plan(invoice)
    seti, secret = saved_methods.prepare_setup(
        invoice, saved_methods.agreed_methods(invoice, plan.method)
    )
    [setup] = edge.sent("POST", "/v1/setup_intents")
    assert {k: v for k, v in setup.items() if not k.startswith("metadata")} == {
        "customer": invoice.patient.stripe_customer_id,
        "usage": "off_session",
        "payment_method_types[0]": "card",
        "payment_method_types[1]": "link",
    }
    assert secret == f"{seti}_secret_edge"

    saved = saved_methods.saved_method(invoice, seti)
    assert (saved.payment_method_id, saved.method) == (LINK_METHOD, "link")
    plan.method, plan.stripe_payment_method_id = saved.method, saved.payment_method_id
    payment_methods.remember(plan, saved.payment_method_id)
    db.session.commit()
    assert plan.method_label == "Link" and LINK_EMAIL not in plan.method_label

    down = payments.charge(
        invoice,
        saved,
        PATIENT,
        amount_minor=plan.down_payment_minor,
        installment_id=plan.installments[0].id,
    )
    assert down.status == "succeeded"
    assert jobs.run_due(plan.installments[1].due_on).charged == 1

    creates = edge.sent("POST", "/v1/payment_intents")
    first_due = plan.installments[1].amount_minor
    expected = {
        "customer": invoice.patient.stripe_customer_id,
        "payment_method": LINK_METHOD,
        "payment_method_types[0]": "link",
        "currency": "eur",
        "confirm": "true",
    }
    for form, amount in zip(creates, (plan.down_payment_minor, first_due), strict=True):
        assert {k: form.get(k) for k in expected} == expected
        assert form["amount"] == str(amount)
        assert "payment_method_types[1]" not in form
        assert "statement_descriptor_suffix" not in form  # a card charge's suffix only
    assert "off_session" not in creates[0]  # the patient is on the page
    assert creates[1]["off_session"] == "true"

    db.session.expire_all()
    booked = db.session.scalars(
        db.select(Payment).filter_by(invoice_id=invoice.id).order_by(Payment.id)
    ).all()
    assert [(p.method, p.status, p.method_label) for p in booked] == [
        ("link", "succeeded", "Link"),
        ("link", "succeeded", "Link"),
    ]
    assert ledger.balance(invoice.id) == 154500 - plan.down_payment_minor - first_due


def test_localstripe_is_never_sent_link(edge):
    local = StripeGateway("sk_test_edge", api_base=edge.url, max_network_retries=0)
    local.create_setup_intent("cus_1", ["card", "link"], {})
    assert edge.sent("POST", "/v1/setup_intents")[0]["payment_method_types[0]"] == "card"
    assert "payment_method_types[1]" not in edge.sent("POST", "/v1/setup_intents")[0]
