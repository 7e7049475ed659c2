"""Who listens to what `payments` announces, and what the outbox worker can do.

`connect` is called once by `create_app`; it is the only place that ties the payments core
to plans, incentives, collections and messaging, so `payments` imports none of them.
"""

from portal.extensions import db
from portal.models import CollectionState, Payment
from portal.services import events, outbox

DISPUTE_NOTE = "Chargeback opened at the bank"


def _installment_paid(payment: Payment, **_) -> None:
    from portal.services import installments

    installments.on_payment_succeeded(payment)


def _incentive_paid(payment: Payment, actor=None, **_) -> None:
    from portal.services import incentives
    from portal.services.audit import SYSTEM

    incentives.on_payment_succeeded(payment, actor or SYSTEM)


def _installment_failed(payment: Payment, **_) -> None:
    if payment.installment_id is not None:
        from portal.services import installments

        installments.on_payment_failed(payment)


def _pause_cadence(payment: Payment, **_) -> None:
    """A chargeback stops the reminder cadence until it is closed."""
    state = db.session.get(CollectionState, payment.invoice_id)
    if state is None:
        state = CollectionState(invoice_id=payment.invoice_id)
        db.session.add(state)
    if state.hold is None:
        state.hold, state.hold_note = "dispute", DISPUTE_NOTE
    db.session.commit()


def _resume_cadence(payment: Payment, **_) -> None:
    state = db.session.get(CollectionState, payment.invoice_id)
    if state is not None and state.hold == "dispute" and state.hold_note == DISPUTE_NOTE:
        state.hold, state.hold_note = None, None
        db.session.commit()


def _register_work() -> None:
    from portal.services import notifications, plan_messages

    outbox.register(notifications.RECEIPT, notifications.deliver_receipt)
    outbox.register(plan_messages.SEAL, plan_messages.seal_agreement)
    outbox.register(plan_messages.EMAIL, plan_messages.deliver)


def connect() -> None:
    """Subscribe the domains to the payment signals and register the outbox handlers."""
    events.payment_succeeded.connect(_installment_paid)
    events.payment_succeeded.connect(_incentive_paid)
    events.payment_failed.connect(_installment_failed)
    events.payment_disputed.connect(_pause_cadence)
    events.dispute_closed.connect(_resume_cadence)
    _register_work()
