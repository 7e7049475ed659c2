"""The payment confirmation: queued with the payment, sent by the outbox worker."""

from portal.extensions import db
from portal.models import Payment, PendingWork
from portal.models.delivery import Channel, DeliveryPurpose
from portal.services.core import outbox
from portal.services.messaging.delivery import Message, deliver
from portal.services.payments import payment_methods

RECEIPT = outbox.RECEIPT


def send_receipt(payment: Payment) -> None:
    """Record that the payment's confirmation is to be emailed (the caller commits); the
    worker sends it with `perform_receipt`."""
    outbox.queue_receipt(payment)


def perform_receipt(work: PendingWork) -> None:
    """Worker: deliver the confirmation of a payment, with a fresh link to the bill (and the
    receipt PDF for patients who asked for attachments)."""
    payment = db.session.get(Payment, work.payload["payment_id"])
    if not payment.method_label:  # a payment booked from a Stripe event
        payment_methods.label_payment(payment)
        db.session.commit()  # the label is kept even if the send below fails and is retried
    deliver(
        Message(DeliveryPurpose.RECEIPT, payment.invoice, Channel.EMAIL, {"payment_id": payment.id})
    )
