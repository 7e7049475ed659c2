"""What a failed charge means: retries by decline reason, outages that use no attempt, and
idempotency keys unique per genuine attempt."""

from datetime import timedelta

import pytest

from portal import gateways
from portal.extensions import db
from portal.gateways.stripe_gateway import StripeGateway
from portal.models import ChargeAttempt, Installation, Payment
from portal.services.core import jobs
from portal.services.payments import charging, payments, saved_methods
from tests.services.payments.test_charge_race import intents_at_stripe
from tests.services.plans.test_plans import pay_down_payment, signed_plan
from tests.support import stripe_js
from tests.support.stripe_proxy import StripeProxy

pytestmark = pytest.mark.stripe


@pytest.fixture
def proxied(stripe_app):
    """The app's Stripe calls going through a proxy that can fail them."""
    with StripeProxy(stripe_app.config["STRIPE_API_BASE"]) as proxy:
        stripe_app.extensions["saldo.stripe"] = StripeGateway(
            "sk_test_saldo_demo", api_base=proxy.url, max_network_retries=0
        )
        yield proxy


def active_plan(app):
    invoice, plan, saved = signed_plan(app, locale="en")
    assert pay_down_payment(invoice, plan, saved).status == "succeeded"
    return invoice, plan


def declined(decline_code: str, advice_code: str | None = None) -> dict:
    error = {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": decline_code,
        "message": "Your card was declined.",
    }
    return error | ({"advice_code": advice_code} if advice_code else {})


@pytest.mark.parametrize(
    ("decline_code", "advice_code", "recorded", "retried"),
    [
        ("lost_card", None, "lost_card", False),
        ("stolen_card", None, "stolen_card", False),
        ("pickup_card", None, "pickup_card", False),
        ("fraudulent", None, "fraudulent", False),
        ("generic_decline", "do_not_try_again", "do_not_try_again", False),
        ("insufficient_funds", None, "insufficient_funds", True),
        ("generic_decline", None, "generic_decline", True),
    ],
)
def test_decline_reasons_decide_the_retry(
    stripe_app, proxied, decline_code, advice_code, recorded, retried
):
    _, plan = active_plan(stripe_app)
    first = plan.installments[1]
    proxied.reset("status", status=402, error=declined(decline_code, advice_code))
    report = jobs.run_due(first.due_on)
    assert (report.charged, report.failed) == (1, 1)
    db.session.expire_all()
    assert (first.status, first.attempts, first.failure_code) == ("failed", 1, recorded)
    if retried:
        assert first.next_attempt_on == first.due_on + timedelta(days=3)
        assert plan.status == "active"
    else:
        assert first.next_attempt_on is None
        assert plan.status == "past_due"
    # a day later nothing is tried for a card the network says never to retry
    assert jobs.run_due(first.due_on + timedelta(days=7)).charged == (1 if retried else 0)


def test_an_outage_uses_no_attempt_and_is_retried_the_same_day(stripe_app, proxied):
    invoice, plan = active_plan(stripe_app)
    first = plan.installments[1]
    base = stripe_app.config["STRIPE_API_BASE"]
    customer = {invoice.patient.stripe_customer_id}
    # rate limited: Stripe did nothing, the attempt is given back at once, on every retry day
    proxied.reset("status", status=429, error={"type": "rate_limit_error", "message": "slow"})
    for offset in (0, 3, 5, 7, 9):
        jobs.run_due(first.due_on + timedelta(days=offset))
        db.session.expire_all()
        assert (first.status, first.attempts, plan.status) == ("scheduled", 0, "active")
    # a 503: whether Stripe charged is unknown, so the payment is checked, not failed
    proxied.reset("status", status=503)
    day = first.due_on + timedelta(days=9)
    jobs.run_due(day)
    db.session.expire_all()
    assert (first.status, first.attempts) == ("processing", 1)
    checking = db.session.scalars(db.select(Payment).filter_by(status="creating")).one()
    assert checking.failure_code is None
    # Stripe is back the same day: the lookup finds nothing, so the create is sent again
    # with its key and the installment is paid by it in the same run
    proxied.reset("pass")
    stripe_app.config["RECONCILE_AFTER_SECONDS"] = 0
    report = jobs.run_due(day)
    assert (report.read_back, report.charged) == (1, 0)
    db.session.expire_all()
    assert (first.status, first.attempts, plan.status) == ("paid", 1, "active")
    assert checking.status == "succeeded"
    failures = db.session.scalars(
        db.select(Payment.failure_code).filter_by(status="failed").order_by(Payment.id)
    ).all()
    assert failures == ["gateway_unavailable"] * 5
    assert [pi["status"] for pi in intents_at_stripe(base, customer)] == ["succeeded"] * 2


def test_a_second_card_after_a_declined_down_payment_is_a_new_attempt(stripe_app):
    invoice, plan, saved = signed_plan(stripe_app, card="4000000000000341", locale="en")
    with pytest.raises(payments.PaymentRefused):
        pay_down_payment(invoice, plan, saved)
    seti, secret = saved_methods.prepare_setup(invoice, "card")
    stripe_js.confirm_card_setup(stripe_app.config["STRIPE_API_BASE"], secret, "4242424242424242")
    good = saved_methods.saved_method(invoice, seti)
    assert pay_down_payment(invoice, plan, good).status == "succeeded"
    db.session.expire_all()
    assert plan.status == "active" and plan.installments[0].status == "paid"
    # the decline did not count against the plan: it was the patient's own attempt
    assert plan.installments[0].attempts == 0
    claims = db.session.scalars(db.select(ChargeAttempt).order_by(ChargeAttempt.id)).all()
    assert [(c.installment_id, c.attempt) for c in claims] == [
        (plan.installments[0].id, 1),
        (
            plan.installments[0].id,
            2,
        ),
    ]
    keys = [charging.idempotency_key(c) for c in claims]
    installation = db.session.get(Installation, 1).installation_id
    assert keys == [f"saldo-{installation}-charge-{c.key}" for c in claims]
    assert keys[0] != keys[1] and len(installation) == 32


def test_a_configured_installation_id_scopes_the_keys(stripe_app):
    stripe_app.config["SALDO_INSTALLATION_ID"] = "staging-eu"
    invoice, _ = active_plan(stripe_app)
    claim = db.session.scalars(db.select(ChargeAttempt)).one()
    assert charging.idempotency_key(claim) == f"saldo-staging-eu-charge-{claim.key}"
    assert db.session.get(Installation, 1) is None
    assert gateways.stripe().retrieve_intent(claim.payment.stripe_payment_intent_id).metadata == {
        "saldo_charge": claim.key,
        "saldo_payment_id": str(claim.payment_id),
        "saldo_invoice_id": str(invoice.id),
        "saldo_invoice_number": invoice.number,
        "saldo_practice_id": str(invoice.practice_id),
    }
