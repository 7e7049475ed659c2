"""Who listens to what `payments` announces, and what the outbox worker can do.

`connect` is called once by `create_app`; it is the only place that ties the payments core
to plans, incentives, collections and messaging, so `payments` imports none of them.
"""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import CollectionState, Dispute, Payment
from portal.models.collection_state import Hold
from portal.models.dispute import CLOSED
from portal.services.core import events, outbox

DISPUTE_NOTE = "Chargeback opened at the bank"


def _installment_paid(payment: Payment, **_) -> None:
    from portal.services.plans import installments

    installments.on_payment_succeeded(payment)


def _incentive_paid(payment: Payment, actor=None, **_) -> None:
    from portal.services.core.audit import SYSTEM
    from portal.services.incentives import booking

    booking.on_payment_succeeded(payment, actor or SYSTEM)


def _installment_failed(payment: Payment, **_) -> None:
    if payment.installment_id is not None:
        from portal.services.plans import installments

        installments.on_payment_failed(payment)


def _cadence_follows_disputes(payment: Payment, **_) -> None:
    """While a chargeback on one of the invoice's payments is open, the reminder cadence is
    paused ("dispute" hold); it resumes when none is. Conditional updates keep this right
    when the opening and the closing are announced by two processes at once."""
    invoice_id = payment.invoice_id
    if db.session.get(CollectionState, invoice_id) is None:
        try:
            with db.session.begin_nested():
                db.session.add(CollectionState(invoice_id=invoice_id))
        except IntegrityError:
            pass
        # the row both processes update conditionally below must exist for each of them
        db.session.commit()
    open_dispute = (
        select(Dispute.id)
        .join(Payment, Payment.id == Dispute.payment_id)
        .where(Payment.invoice_id == invoice_id, Dispute.status.not_in(CLOSED))
        .exists()
    )
    state = CollectionState.__table__.c
    db.session.execute(
        update(CollectionState)
        .where(state.invoice_id == invoice_id, state.hold.is_(None), open_dispute)
        .values(hold=Hold.DISPUTE, hold_note=DISPUTE_NOTE)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(CollectionState)
        .where(
            state.invoice_id == invoice_id,
            state.hold == Hold.DISPUTE,
            state.hold_note == DISPUTE_NOTE,
            ~open_dispute,
        )
        .values(hold=None, hold_note=None)
        .execution_options(synchronize_session=False)
    )
    # a subscriber runs after the payment's commit: it commits its own change
    db.session.commit()


def _register_work() -> None:
    from portal.services.billing.imports import background
    from portal.services.messaging import answers, plans, receipts

    outbox.register(receipts.RECEIPT, receipts.perform_receipt)
    outbox.register(plans.SEAL, plans.seal_agreement)
    outbox.register(plans.EMAIL, plans.perform)
    outbox.register(background.KIND, background.run)
    outbox.register(answers.KIND, answers.perform)


def connect() -> None:
    """Subscribe the domains to the payment signals and register the outbox handlers."""
    events.payment_succeeded.connect(_installment_paid)
    events.payment_succeeded.connect(_incentive_paid)
    events.payment_failed.connect(_installment_failed)
    events.payment_disputed.connect(_cadence_follows_disputes)
    events.dispute_closed.connect(_cadence_follows_disputes)
    _register_work()
