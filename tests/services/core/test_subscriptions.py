"""Who listens to what payments announce: the wiring `create_app` makes, and the reminder
cadence paused while a chargeback is open and resumed when none is."""

from portal.extensions import db
from portal.models import CollectionState, Dispute, Payment
from portal.services.collections import holds
from portal.services.core import events, outbox, subscriptions
from portal.services.core.audit import SYSTEM
from tests import factories


def receivers(signal):
    return {receiver.__name__ for receiver in signal.receivers_for(object())}


def test_the_app_subscribes_each_domain_once(app):
    subscriptions.connect()  # a second call (another app in the process) adds nothing
    assert receivers(events.payment_succeeded) == {"_installment_paid", "_incentive_paid"}
    assert receivers(events.payment_failed) == {"_installment_failed"}
    assert receivers(events.payment_disputed) == {"_cadence_follows_disputes"}
    assert receivers(events.dispute_closed) == {"_cadence_follows_disputes"}
    assert len(list(events.payment_succeeded.receivers_for(object()))) == 2
    kinds = {outbox.RECEIPT, "seal_agreement", "plan_email", "csv_import", "question_answered"}
    assert kinds <= set(outbox._handlers)


def chargeback(invoice, status, number=1):
    payment = Payment(
        invoice_id=invoice.id,
        amount_minor=5000,
        currency="EUR",
        method="card",
        status="succeeded",
        stripe_payment_intent_id=f"pi_disputed_{invoice.id}_{number}",
    )
    db.session.add(payment)
    db.session.flush()
    dispute = Dispute(
        payment_id=payment.id,
        stripe_dispute_id=f"dp_{invoice.id}_{number}",
        amount_minor=5000,
        currency="EUR",
        status=status,
    )
    db.session.add(dispute)
    db.session.commit()
    return payment, dispute


def state(invoice):
    db.session.expire_all()
    found = db.session.get(CollectionState, invoice.id)
    return (found.hold, found.hold_note) if found else None


def test_an_open_chargeback_pauses_the_cadence_until_every_one_is_closed(app):
    invoice = factories.invoice(factories.patient(factories.practice()))
    first, first_dispute = chargeback(invoice, "needs_response", 1)
    second, second_dispute = chargeback(invoice, "warning_needs_response", 2)
    events.payment_disputed.send(first, dispute=first_dispute)
    assert state(invoice) == ("dispute", subscriptions.DISPUTE_NOTE)
    events.payment_disputed.send(first, dispute=first_dispute)  # announced twice: same result
    assert state(invoice) == ("dispute", subscriptions.DISPUTE_NOTE)
    first_dispute.status = "won"
    db.session.commit()
    events.dispute_closed.send(first, dispute=first_dispute)
    assert state(invoice) == ("dispute", subscriptions.DISPUTE_NOTE)  # the second is open
    second_dispute.status = "warning_closed"
    db.session.commit()
    events.dispute_closed.send(second, dispute=second_dispute)
    assert state(invoice) == (None, None)


def test_a_hold_set_by_staff_is_left_as_it_is(app):
    invoice = factories.invoice(factories.patient(factories.practice()))
    holds.set_hold(invoice, "hold", "Insurer is paying", SYSTEM)
    db.session.commit()
    payment, dispute = chargeback(invoice, "needs_response")
    events.payment_disputed.send(payment, dispute=dispute)
    assert state(invoice) == ("hold", "Insurer is paying")
    dispute.status = "lost"
    db.session.commit()
    events.dispute_closed.send(payment, dispute=dispute)
    assert state(invoice) == ("hold", "Insurer is paying")
