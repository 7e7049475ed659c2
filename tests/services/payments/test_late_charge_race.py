"""Two sweeps at once, in two processes against PostgreSQL, finish a late charge's refund
left pending by an outage once: one refund at Stripe, or one failure, audit event and alert
when Stripe refuses it."""

import pytest

from portal.extensions import db
from portal.gateways.stripe_gateway import StripeGateway
from portal.models import Alert, AuditEvent, LateCharge
from portal.services.payments import charging, late_charges
from tests.conftest import _make_app
from tests.services.billing.test_money_ops import paid_by_card
from tests.services.payments.test_late_charges import DECLINED
from tests.support import stripe_js, workers
from tests.support.stripe_proxy import StripeProxy

pytestmark = pytest.mark.stripe

SETUP = """
from portal.services.payments import late_charges
"""
RACE = """
print(late_charges.sweep())
"""


def pending_late_charge(app, proxy):
    """A late second charge of €60.00 whose refund an outage left pending."""
    invoice, payment = paid_by_card(app, amounts=(6000,))
    claim = charging.claim_of(payment)
    late_charges.watch(claim)
    db.session.commit()
    late = charging.create_intent(payment, claim)
    proxy.reset("status", path="/v1/refunds", status=503, creates=0)
    row = late_charges.give_back(claim, late)
    assert (row.status, proxy.creates) == ("refund_pending", 1)
    return invoice, late


@pytest.mark.parametrize(
    ("mode", "answers", "status", "refunds", "alerts", "action"),
    [
        # Stripe's answer comes a second late: both sweeps are running when it does
        ("delay_answer", ["0", "1"], "refunded", [6000], [], "payment.late_charge_returned"),
        (
            "status",
            ["0", "0"],
            "failed",
            [],
            ["late_charge_failed"],
            "payment.late_charge_refund_failed",
        ),
    ],
)
def test_two_sweeps_at_once_record_one_outcome(
    postgres_url, stripe_base, tmp_path, mode, answers, status, refunds, alerts, action
):
    with StripeProxy(stripe_base) as proxy:
        app = _make_app(postgres_url, proxy.url)
        with app.app_context():
            app.extensions["saldo.stripe"] = StripeGateway(
                "sk_test_saldo_demo", api_base=proxy.url, max_network_retries=0
            )
            invoice, late = pending_late_charge(app, proxy)
            invoice_id = invoice.id
            db.session.remove()
        proxy.reset(mode, path="/v1/refunds", delay=1.0, status=400, error=DECLINED)
        env = workers.env_for(app, proxy.url)
        outputs = workers.racing(env, SETUP, RACE, tmp_path, "a", "b")
        assert sorted(output.strip() for output in outputs) == answers
        # Stripe was asked once more, by one of the two
        assert proxy.creates == 2
        with app.app_context():
            [row] = db.session.scalars(db.select(LateCharge)).all()
            assert row.status == status
            path = f"/v1/refunds?payment_intent={late.id}"
            found = stripe_js.get(stripe_base, path)["data"]
            assert [r["amount"] for r in found] == refunds
            query = db.select(Alert.kind).filter_by(invoice_id=invoice_id)
            assert list(db.session.scalars(query)) == alerts
            events = db.session.scalars(db.select(AuditEvent).filter_by(action=action)).all()
            assert len(events) == 1
            db.session.remove()
            db.engine.dispose()
