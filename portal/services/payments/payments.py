"""Paying an invoice in full through Stripe, with guards against double charges.

The amount is always the ledger balance at the moment of charging. A payment row and its claim
(`charging`) are inserted in state "creating" before Stripe is called; a partial unique index
allows one such in-flight row per invoice, the claim's key is the idempotency key, and the
balance is re-read after that row is committed, so neither a second click, a second tab nor a
second worker can charge twice. State changes are compare-and-set updates, so the
page's read-back and the webhook can race and the payment is still booked once.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.stripe_gateway import (
    GatewayBusy,
    GatewayError,
    GatewayUnavailable,
    IntentResult,
    PaymentDeclined,
)
from portal.models import ChargeAttempt, Installment, Invoice, Payment
from portal.models.audit import ActorKind
from portal.models.invoice import InvoiceStatus
from portal.models.ledger import LedgerKind
from portal.models.payment import IN_FLIGHT, PaymentMethod, PaymentStatus
from portal.services.billing import credits, invoices, ledger
from portal.services.core import audit, events, outbox
from portal.services.core.audit import Actor
from portal.services.core.refusals import PaymentReason, Refused
from portal.services.payments import charging, payment_methods
from portal.services.payments.charging import Seen
from portal.services.payments.stripe_accounts import in_scope

#: Stripe PaymentIntent status -> Payment status
INTENT_STATES = {
    "succeeded": "succeeded",
    "processing": "processing",
    "requires_action": "requires_action",
    "requires_payment_method": "failed",
    "canceled": "canceled",
}


class PaymentRefused(Refused):
    """Why a payment cannot go ahead: nothing_due, in_progress, method, setup, declined,
    unavailable, amount_changed. `detail` carries the bank's decline code when there is one,
    or the amount now due for amount_changed."""

    def __init__(self, reason: str, detail: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail

    @property
    def code(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Outcome:
    payment: Payment
    client_secret: str | None = None

    @property
    def status(self) -> str:
        return self.payment.status


@dataclass(frozen=True)
class SavedMethod:
    customer_id: str
    payment_method_id: str
    method: str


def charge(
    invoice: Invoice,
    saved: SavedMethod,
    actor: Actor,
    *,
    amount_minor: int | None = None,
    installment_id: int | None = None,
    installment: Seen | None = None,
    off_session: bool = False,
    purpose: str | None = None,
    on_claim: Callable[[Payment], None] | None = None,
    expected_minor: int | None = None,
) -> Outcome:
    """Charge `amount_minor` (default: the whole balance), computed and checked here.

    The charge is claimed in the database first (see `charging`); `installment` is the
    installment as the caller read it (`installment_id` alone: as it is now, a click rather
    than the scheduled charge). `expected_minor` is the amount the patient was shown: any
    other amount is refused ("amount_changed") before anything is claimed. `purpose` is stored
    on the payment; `on_claim(payment)` runs in the claiming transaction and may refuse it by
    raising PaymentRefused. A lost answer leaves the payment "creating" (checking) for the
    reconciliation to settle; it is never reported as a failure."""
    if installment is None and installment_id is not None:
        current = db.session.get(Installment, installment_id)
        installment = charging.Seen.of(current) if current is not None else None
    asked = charging.Asked(
        saved.customer_id,
        saved.payment_method_id,
        off_session or saved.method == PaymentMethod.SEPA_DEBIT,
    )
    claimed = (amount_minor, installment, purpose, on_claim, expected_minor, asked)
    payment, claim = _claim(invoice, saved.method, actor, *claimed)
    try:
        intent = charging.create_intent(payment, claim)
    except PaymentDeclined as exc:
        code = exc.decline_code or exc.code or "declined"
        charging.note_decline(payment, exc.decline_code, exc.advice_code)
        _fail(payment, actor, code)
        raise PaymentRefused(PaymentReason.DECLINED, code) from exc
    except GatewayUnavailable as exc:
        if isinstance(exc, GatewayBusy):
            _fail(payment, actor, charging.OUTAGE)
            raise PaymentRefused(PaymentReason.UNAVAILABLE) from exc
        audit.record(
            "payment.checking",
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            actor=actor,
            payment_id=payment.id,
        )
        # Stripe may have charged: the checking state is durable for reconcile to settle
        db.session.commit()
        return Outcome(payment)
    except GatewayError as exc:
        _fail(payment, actor, charging.OUTAGE)
        raise PaymentRefused(PaymentReason.UNAVAILABLE) from exc
    if not charging.hold_intent(payment, intent):
        # the reconciliation settled this claim while the call ran: a late, second charge
        from portal.services.payments import late_charges

        late_charges.give_back(claim, intent)
        db.session.expire_all()
        return Outcome(payment)
    payment.stripe_payment_method_id = saved.payment_method_id
    # the intent id is durable as soon as Stripe answered
    db.session.commit()
    apply_intent(payment, intent, actor)
    secret = intent.client_secret if payment.status == PaymentStatus.REQUIRES_ACTION else None
    return Outcome(payment, secret)


def _fail(payment: Payment, actor: Actor, code: str) -> None:
    """Stripe answered that nothing was charged."""
    _move(payment, "failed", actor, failure_code=code)
    # Stripe answered that nothing was charged: recorded before the refusal
    db.session.commit()
    _after_failure(payment)


def _claim(
    invoice: Invoice,
    method: str,
    actor: Actor,
    amount: int | None = None,
    installment: Seen | None = None,
    purpose: str | None = None,
    on_claim: Callable[[Payment], None] | None = None,
    expected: int | None = None,
    asked: charging.Asked | None = None,
    key: str | None = None,
) -> tuple[Payment, ChargeAttempt]:
    """Insert the in-flight payment row and its claim, or refuse: one in flight per invoice,
    one claim per installment attempt, never more than the balance, which is read again
    once the row is in."""
    from portal.services.payments import reconcile

    reconcile.release_stale(invoice.id, actor)
    balance = ledger.balance(invoice.id)
    whole = amount is None
    amount = balance if whole else amount
    if invoice.status != InvoiceStatus.OPEN or balance <= 0 or not 0 < amount <= balance:
        raise PaymentRefused(PaymentReason.NOTHING_DUE)
    if expected is not None and expected != amount:
        raise PaymentRefused(PaymentReason.AMOUNT_CHANGED, str(amount))
    payment = Payment(
        invoice_id=invoice.id,
        amount_minor=amount,
        currency=invoice.currency,
        method=method,
        installment_id=installment.installment_id if installment else None,
        purpose=purpose,
    )
    db.session.add(payment)
    try:
        db.session.flush()
        claim = charging.claim(payment, installment, asked, key)
        if on_claim is not None:
            on_claim(payment)
        # the charge claim is durable before Stripe is called (the money path's guard)
        db.session.commit()
    except (IntegrityError, charging.ClaimTaken) as exc:
        db.session.rollback()
        raise PaymentRefused(PaymentReason.IN_PROGRESS) from exc
    except PaymentRefused:
        db.session.rollback()
        raise
    db.session.expire_all()
    now_owed = ledger.balance(invoice.id)
    if now_owed < amount or (whole and now_owed != amount):
        _move(payment, "canceled", actor, force=True)
        charging.restore(payment)
        # the claim is given back for good before the refusal
        db.session.commit()
        raise PaymentRefused(PaymentReason.NOTHING_DUE)
    audit.record(
        "payment.started",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        payment_id=payment.id,
        amount_minor=amount,
        method=method,
    )
    # the claimed payment is durable before Stripe is called
    db.session.commit()
    return payment, claim


def refresh(payment: Payment, actor: Actor) -> Payment:
    """Read the PaymentIntent back from Stripe and apply it (the page's read-back path); a
    payment whose answer was lost is looked up once it is old enough."""
    if payment.status == PaymentStatus.CREATING and not payment.stripe_payment_intent_id:
        from portal.services.payments import reconcile

        if reconcile.is_stale(payment):
            reconcile.settle(payment, actor)
        return payment
    if payment.stripe_payment_intent_id and payment.status in IN_FLIGHT:
        try:
            gateway = gateways.stripe(payment.invoice.practice)
            intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
        except GatewayError:
            return payment
        apply_intent(payment, intent, actor)
    return payment


def apply_intent(payment: Payment, intent: IntentResult, actor: Actor) -> bool:
    """Move `payment` to the state Stripe reports; book it once on success. Commits."""
    target = INTENT_STATES.get(intent.status)
    if target is None or target == payment.status or not payment.can_become(target):
        return False
    if target == "succeeded" and (
        intent.amount != payment.amount_minor or intent.currency != payment.currency
    ):
        raise ValueError(f"PaymentIntent {intent.id} does not match payment {payment.id}")
    if not _move(payment, target, actor, failure_code=intent.failure_code):
        db.session.rollback()
        return False
    settled = _book(payment, actor) if target == "succeeded" else False
    # Stripe's answer is applied and booked at once
    db.session.commit()
    if target == "succeeded":
        events.payment_succeeded.send(payment, actor=actor)
        if settled:
            events.invoice_settled.send(payment.invoice, actor=actor)
    elif target in ("failed", "canceled"):
        _after_failure(payment)
    return True


def _after_failure(payment: Payment) -> None:
    events.payment_failed.send(payment)


def _move(
    payment: Payment, target: str, actor: Actor, failure_code: str | None = None, force=False
) -> bool:
    """Compare-and-set the status; False if another process moved the payment first."""
    if not force and not payment.can_become(target):
        return False
    values: dict = {"status": target, "updated_at": utcnow()}
    if target in ("failed", "canceled"):
        values["failure_code"] = failure_code
    if target == "succeeded":
        values["succeeded_at"] = utcnow()
    result = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == payment.status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    previous = payment.status
    for name, value in values.items():  # what the row now holds, without reading it back
        set_committed_value(payment, name, value)
    audit.record(
        f"payment.{target}",
        practice_id=payment.invoice.practice_id,
        invoice_id=payment.invoice_id,
        actor=actor,
        payment_id=payment.id,
        previous=previous,
        failure_code=failure_code if target in ("failed", "canceled") else None,
    )
    return True


def _book(payment: Payment, actor: Actor) -> bool:
    """Post the payment and queue its receipt, in the caller's transaction; True if the
    invoice is settled by it. Money beyond what was owed (the invoice was already paid or
    void) is held as a credit with an alert, never left as a negative balance."""
    invoice = payment.invoice
    owed = max(ledger.balance(invoice.id), 0) if invoice.status == InvoiceStatus.OPEN else 0
    ledger.post(invoice, LedgerKind.PAYMENT, payment.amount_minor, payment_id=payment.id)
    extra = payment.amount_minor - owed
    if extra > 0:
        credits.hold(payment, extra, actor)
    payment.receipt_number = f"{invoice.number}-{payment.id}"
    if actor.kind != ActorKind.STRIPE:
        # a Stripe event is answered without asking Stripe again: the receipt's worker
        # finds the label before it sends the receipt
        payment_methods.label_payment(payment)
    db.session.flush()
    outbox.queue_receipt(payment)
    return invoices.settle_if_paid(invoice, actor)


def find_by_intent(intent: IntentResult) -> Payment | None:
    """The payment holding this PaymentIntent id. Metadata is never proof: an intent Saldo
    has not recorded on a payment belongs to none (reconciliation finds a lost one)."""
    return find_by_intent_id(intent.id)


def find_by_intent_id(intent_id: str | None) -> Payment | None:
    if not intent_id:
        return None
    query = (
        db.select(Payment)
        .filter_by(stripe_payment_intent_id=intent_id)
        .options(joinedload(Payment.invoice).joinedload(Invoice.practice))
    )
    payment = db.session.scalar(query)
    return payment if payment is None or in_scope(payment.invoice.practice) else None


#: the statement of `in_flight`, built once (the checkout asks on every look)
_IN_FLIGHT = db.select(Payment).where(
    Payment.invoice_id == bindparam("invoice_id"), Payment.status.in_(IN_FLIGHT)
)


def in_flight(invoice: Invoice) -> Payment | None:
    """The payment currently being processed for `invoice`, if any."""
    return db.session.scalar(_IN_FLIGHT, {"invoice_id": invoice.id})


def receipts_for(invoice: Invoice) -> list[Payment]:
    query = (
        db.select(Payment)
        .where(Payment.invoice_id == invoice.id, Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.id)
    )
    return list(db.session.scalars(query))
