"""Refunds exactly once: double submits, lost answers, two staff at once; no desk money,
void or write-off while a payment is in flight; late money held as a credit."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Alert, Invoice, LedgerEntry, Payment, Refund
from portal.services.billing import credits, ledger, money
from portal.services.billing.money import MoneyRefused
from portal.services.core.audit import SYSTEM
from portal.services.payments import saved_methods
from tests import factories
from tests.conftest import _make_app
from tests.services.billing.test_money_ops import paid_by_card
from tests.services.payments.test_payments import PATIENT, saved_card
from tests.services.payments.test_webhooks import post_event, stripe_event_for
from tests.support import stripe_js, workers
from tests.support.proxy import LosingProxy

pytestmark = pytest.mark.stripe


def stripe_refunds(app, payment):
    path = f"/v1/refunds?payment_intent={payment.stripe_payment_intent_id}"
    return [r["amount"] for r in stripe_js.get(app.config["STRIPE_API_BASE"], path)["data"]]


def kinds(invoice_id):
    query = db.select(LedgerEntry.kind, LedgerEntry.amount_minor).filter_by(invoice_id=invoice_id)
    return sorted(db.session.execute(query).all())


def test_a_double_submitted_refund_form_refunds_once(stripe_app):
    invoice, payment = paid_by_card(stripe_app, amounts=(10000,))
    key = money.new_claim_key()
    first = money.refund(payment, 4000, "overcharged", SYSTEM, claim_key=key)
    again = money.refund(payment, 4000, "overcharged", SYSTEM, claim_key=key)
    assert first.id == again.id and again.status == "succeeded"
    assert stripe_refunds(stripe_app, payment) == [4000]
    assert db.session.scalar(db.select(db.func.count()).select_from(Refund)) == 1
    assert kinds(invoice.id) == sorted(
        [("adjustment", -4000), ("charge", 10000), ("payment", -10000), ("refund", 4000)]
    )


@pytest.fixture
def proxied_app(database_url, stripe_base):
    with LosingProxy(stripe_base) as proxy:
        app = _make_app(database_url, proxy.url)
        app.proxy = proxy
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()


def test_a_refund_whose_answer_was_lost_is_finished_once_on_retry(proxied_app):
    invoice, payment = paid_by_card(proxied_app, amounts=(9000,))
    proxied_app.proxy.drop("POST", "/v1/refunds")
    with pytest.raises(MoneyRefused, match="Stripe did not answer"):
        money.refund(payment, 9000, "cancelled treatment", SYSTEM, claim_key="claim-lost-1")
    assert proxied_app.proxy.dropped == ["POST /v1/refunds"]
    assert stripe_refunds(proxied_app, payment) == [9000]
    db.session.expire_all()
    [pending] = db.session.scalars(db.select(Refund)).all()
    assert (pending.status, pending.stripe_refund_id) == ("pending", None)
    assert kinds(invoice.id) == [("charge", 9000), ("payment", -9000)]
    with pytest.raises(MoneyRefused, match="more than what can still be refunded"):
        money.refund(db.session.get(Payment, payment.id), 9000, "again", SYSTEM)

    done = money.retry_refund(pending, SYSTEM)
    assert done.status == "succeeded" and done.stripe_refund_id is not None
    assert stripe_refunds(proxied_app, payment) == [9000]
    assert kinds(invoice.id) == sorted(
        [("adjustment", -9000), ("charge", 9000), ("payment", -9000), ("refund", 9000)]
    )


#: each process loads the payment, then, at the start, refunds sixty percent of it
SETUP = """
from portal.models import Payment
from portal.services.billing import money
from portal.services.core.audit import SYSTEM

payment = db.session.get(Payment, int(sys.argv[3]))
db.session.commit()
"""
RACE = """
try:
    print(money.refund(payment, 6000, "sixty percent", SYSTEM).status)
except money.MoneyRefused as exc:
    print(exc)
"""


def test_two_sixty_percent_refunds_from_two_processes_one_is_refused(
    postgres_url, stripe_base, tmp_path
):
    app = _make_app(postgres_url, stripe_base)
    with app.app_context():
        invoice, payment = paid_by_card(app, amounts=(10000,))
        payment_id, invoice_id = payment.id, invoice.id
        db.session.remove()
    env = workers.env_for(app, stripe_base)
    outputs = workers.racing(env, SETUP, RACE, tmp_path, str(payment_id), str(payment_id))
    answers = sorted(output.strip() for output in outputs)
    assert answers == ["The amount is more than what can still be refunded.", "succeeded"]
    with app.app_context():
        payment = db.session.get(Payment, payment_id)
        assert stripe_refunds(app, payment) == [6000]
        assert [r.amount_minor for r in payment.refunds] == [6000]
        assert ledger.balance(invoice_id) == 0
        db.session.remove()
        db.engine.dispose()


def in_flight_invoice():
    invoice = factories.invoice(factories.patient(factories.practice()), amounts=(27500,))
    db.session.add(
        Payment(
            invoice_id=invoice.id,
            amount_minor=27500,
            currency="EUR",
            method="sepa_debit",
            status="processing",
            stripe_payment_intent_id="pi_sepa_processing",
        )
    )
    db.session.commit()
    return invoice


def test_no_desk_payment_void_or_write_off_while_a_payment_is_in_flight(app):
    invoice = in_flight_invoice()
    message = "A card or SEPA payment is being processed for this invoice."
    with pytest.raises(MoneyRefused, match=message):
        money.record_desk_payment(invoice, 27500, "cash", SYSTEM)
    with pytest.raises(MoneyRefused, match=message):
        money.void(invoice, "duplicate", SYSTEM)
    with pytest.raises(MoneyRefused, match=message):
        money.write_off(invoice, 27500, "hardship", SYSTEM)
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert (invoice.status, ledger.balance(invoice.id)) == ("open", 27500)
    assert kinds(invoice.id) == [("charge", 27500)]


def test_money_arriving_for_a_paid_invoice_is_held_as_a_credit_and_refunded_in_one_click(
    stripe_app,
):
    invoice, _ = factories.invoice_with_link(amounts=(8000,))
    seti, _ = saved_card(stripe_app, invoice, "4000002760003184")
    outcome = saved_methods.pay_in_full(invoice, seti, PATIENT)
    late = outcome.payment
    # the answer was lost: Saldo thought nothing was taken and the patient paid at the desk
    db.session.execute(db.update(Payment).where(Payment.id == late.id).values(status="failed"))
    db.session.commit()
    money.record_desk_payment(db.session.get(Invoice, invoice.id), 8000, "cash", SYSTEM)
    base = stripe_app.config["STRIPE_API_BASE"]
    stripe_js.confirm_card_payment(base, outcome.client_secret)
    event = stripe_event_for(base, late.stripe_payment_intent_id)
    assert post_event(stripe_app, event).get_json() == {"result": "handled"}
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert (invoice.status, ledger.balance(invoice.id)) == ("paid", 0)
    assert kinds(invoice.id) == sorted(
        [("charge", 8000), ("credit", 8000), ("payment", -8000), ("payment", -8000)]
    )
    [credit] = credits.held(invoice)
    assert (credit.payment.id, credit.amount_minor) == (late.id, 8000)
    [alert] = db.session.scalars(db.select(Alert)).all()
    assert (alert.kind, alert.resolved_at) == ("credit_held", None)

    record = money.refund_credit(db.session.get(Payment, late.id), SYSTEM)
    assert record.status == "succeeded"
    assert stripe_refunds(stripe_app, db.session.get(Payment, late.id)) == [8000]
    assert credits.held(invoice) == []
    assert ledger.balance(invoice.id) == 0
    assert db.session.scalars(db.select(Alert).filter_by(resolved_at=None)).all() == []


def test_pending_refunds_are_read_back_and_lost_ones_finished_by_run_due(proxied_app):
    invoice, payment = paid_by_card(proxied_app, amounts=(9000,))
    proxied_app.proxy.drop("POST", "/v1/refunds")
    with pytest.raises(MoneyRefused, match="Stripe did not answer"):
        money.refund(payment, 4000, "lost answer", SYSTEM)
    base = proxied_app.config["STRIPE_API_BASE"]
    at_bank = stripe_js.post_form(
        base, "/v1/refunds", {"payment_intent": payment.stripe_payment_intent_id, "amount": 1000}
    )
    reported = refund_event_pending(at_bank["id"], payment, 1000)
    assert post_event(proxied_app, reported).get_json() == {"result": "handled"}
    db.session.expire_all()
    assert sorted(r.status for r in db.session.scalars(db.select(Refund))) == ["pending"] * 2

    assert money.reconcile_refunds(timedelta(0)) == 2
    db.session.expire_all()
    assert sorted(r.status for r in db.session.scalars(db.select(Refund))) == ["succeeded"] * 2
    assert sorted(stripe_refunds(proxied_app, payment)) == [1000, 4000]
    assert kinds(invoice.id) == sorted(
        [
            ("adjustment", -1000),
            ("adjustment", -4000),
            ("charge", 9000),
            ("payment", -9000),
            ("refund", 1000),
            ("refund", 4000),
        ]
    )
    assert money.reconcile_refunds(timedelta(0)) == 0


def refund_event_pending(refund_id, payment, amount):
    obj = {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "currency": payment.currency.lower(),
        "payment_intent": payment.stripe_payment_intent_id,
        "status": "pending",
    }
    return {"id": f"evt_{refund_id}", "type": "refund.created", "data": {"object": obj}}
