"""Telling the patient that the practice answered their question about a bill.

When staff mark a question answered with a reply, the transaction that records the answer
also records pending work (`queue`); after the commit the outbox worker (`perform`) sends
the patient one message through `deliver`, by the channel they use and agreed to
(`channel_for`), in their language, with a fresh link that opens the bill's question page
after the date of birth. The message says that an answer is waiting, never the reply
itself: staff write it freely and it may name care or amounts, which stay behind the date
of birth like receipts and agreements. Like any message the patient did not just ask for,
it waits for the patient's quiet hours, and consent is checked again when it is sent and
before each retry.

No message when the question is closed without a reply (nothing new to read: the practice
answered another way, e.g. by phone) or when the invoice is no longer open (paid or void,
also checked when it is sent); the timeline says why. `answered_since` gives the worklist
each recent answer with what became of its notice.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import BillQuestion, Delivery, Invoice, PendingWork
from portal.models.bill_question import QuestionStatus
from portal.models.delivery import Channel, DeliveryPurpose, DeliveryStatus
from portal.models.invoice import InvoiceStatus
from portal.services.collections import consent
from portal.services.core import audit, outbox
from portal.services.core.audit import Actor
from portal.services.messaging.delivery import Message, deliver

KIND = "question_answered"
PURPOSE = DeliveryPurpose.QUESTION_ANSWERED


class NoticeState(StrEnum):
    """What became of the notice of an answer, besides the statuses of its `Delivery`."""

    #: the worker has not sent it yet
    PENDING = "pending"
    #: answered without a reply: nothing to tell
    NO_REPLY = "no_reply"
    #: the invoice is no longer open
    INVOICE_CLOSED = "invoice_closed"
    #: the patient agreed to neither email nor texts
    NO_CONSENT = "no_consent"


#: why the patient is not told; otherwise the notice names the channel it goes by
NO_REPLY, INVOICE_CLOSED, NO_CONSENT = (
    NoticeState.NO_REPLY,
    NoticeState.INVOICE_CLOSED,
    NoticeState.NO_CONSENT,
)
#: the messages whose channel shows how the patient is reached
_CONVERSATION = (
    DeliveryPurpose.LINK,
    DeliveryPurpose.LINK_REQUEST,
    DeliveryPurpose.REMINDER,
    DeliveryPurpose.RECEIPT,
    PURPOSE,
)


def channel_for(invoice: Invoice) -> str | None:
    """The channel to tell the patient by: the one the practice last reached them on for this
    bill (email or text) while they still agree to it, else email, else text; None when they
    agree to neither (or have no address for it)."""
    patient = invoice.patient
    last = db.session.scalar(
        db.select(Delivery.channel)
        .where(
            Delivery.invoice_id == invoice.id,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.purpose.in_(_CONVERSATION),
            Delivery.channel.in_((Channel.EMAIL, Channel.SMS)),
        )
        .order_by(Delivery.sent_at.desc(), Delivery.id.desc())
        .limit(1)
    )
    order = [last] if last else []
    order += [c for c in (Channel.EMAIL, Channel.SMS) if c != last]
    for channel in order:
        address = patient.email if channel == Channel.EMAIL else patient.phone
        if address and consent.has_consent(patient, channel):
            return str(channel)
    return None


def queue(question: BillQuestion, actor: Actor) -> str:
    """Decide whether the patient is told of `question`'s answer: records the pending work
    (the message goes after the commit) and returns the channel it should go by, or records
    on the timeline why not and returns the reason (`NO_REPLY`, `INVOICE_CLOSED`,
    `NO_CONSENT`: then the worker records the message as skipped). The caller commits."""
    invoice = question.invoice
    reason = None
    if not question.reply:
        reason = NO_REPLY
    elif invoice.status != InvoiceStatus.OPEN:
        reason = INVOICE_CLOSED
    if reason is not None:
        audit.record(
            f"question_answer.{reason}",
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            actor=actor,
            question_id=question.id,
        )
        return reason
    outbox.enqueue(
        KIND,
        _key(question),
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        question_id=question.id,
    )
    return channel_for(invoice) or NO_CONSENT


def perform(work: PendingWork) -> None:
    """Worker: send the patient the notice of an answer (by the channel chosen now)."""
    question = db.session.get(BillQuestion, work.payload["question_id"])
    invoice = question.invoice
    channel = channel_for(invoice) or (Channel.EMAIL if invoice.patient.email else Channel.SMS)
    deliver(Message(PURPOSE, invoice, str(channel), {"question_id": question.id}))


@dataclass(frozen=True)
class Answered:
    """A question answered lately and what became of the patient's notice: `state` is
    "sent", "queued" (waiting for the patient's morning or the mailer), "failed" (retried
    until it gives up), "skipped" (`reason` says why), "pending" (the worker has not run
    yet), `NO_REPLY` or `INVOICE_CLOSED`."""

    question: BillQuestion
    state: str
    channel: str | None = None
    reason: str | None = None
    at: datetime | None = None


def answered_since(practice_id: int, since: datetime) -> list[Answered]:
    """The practice's questions answered since `since`, newest first, each with the state of
    the message that told the patient (the worklist shows whether they were told)."""
    questions = list(
        db.session.scalars(
            db.select(BillQuestion)
            .where(
                BillQuestion.practice_id == practice_id,
                BillQuestion.status == QuestionStatus.ANSWERED,
                BillQuestion.answered_at >= since,
            )
            .order_by(BillQuestion.answered_at.desc(), BillQuestion.id.desc())
            .options(joinedload(BillQuestion.invoice).joinedload(Invoice.patient))
        )
    )
    notices = db.session.scalars(
        db.select(Delivery)
        .where(
            Delivery.invoice_id.in_({q.invoice_id for q in questions}),
            Delivery.purpose == PURPOSE,
        )
        .order_by(Delivery.id)
    )
    latest = {(d.payload or {}).get("question_id"): d for d in notices}
    waiting = set(
        db.session.scalars(
            db.select(PendingWork.dedupe_key).where(
                PendingWork.dedupe_key.in_([_key(q) for q in questions])
            )
        )
    )
    return [_answered(q, latest.get(q.id), _key(q) in waiting) for q in questions]


def _key(question: BillQuestion) -> str:
    return f"question:{question.id}:answered"


def _answered(question: BillQuestion, notice: Delivery | None, queued: bool) -> Answered:
    if not question.reply:
        return Answered(question, NO_REPLY)
    if notice is None:
        return Answered(question, NoticeState.PENDING if queued else INVOICE_CLOSED)
    at = notice.sent_at if notice.status == DeliveryStatus.SENT else notice.next_attempt_at
    return Answered(question, str(notice.status), notice.channel, notice.last_error, at)
