"""Money that staff handle: desk payments, refunds, voids and write-offs, each exactly once
and none while a card or SEPA payment is still in flight."""

import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.stripe_gateway import GatewayError, GatewayUnavailable
from portal.models import ChargeAttempt, Invoice, Payment, PaymentLink, Refund
from portal.models.audit import ActorKind
from portal.models.invoice import InvoiceStatus
from portal.models.ledger import LedgerKind
from portal.models.payment import DESK_METHODS, STRIPE_METHODS, PaymentStatus, RefundStatus
from portal.services.access import links
from portal.services.billing import credits, invoices, ledger
from portal.services.core import audit, events
from portal.services.core.audit import Actor
from portal.services.core.refusals import PaymentReason, RefusalCode, Refused
from portal.services.messaging import receipts
from portal.services.payments import payments, refunds
from portal.services.payments.charging import installation_id

IN_FLIGHT_MESSAGE = _l(
    "A card or SEPA payment is being processed for this invoice. Wait until it has finished, "
    "then try again."
)
RECONCILE = Actor(ActorKind.SYSTEM, "refunds.reconcile")
CREDIT_REASON = "Credit returned: paid after the invoice was settled"


class MoneyRefused(Refused, ValueError):
    code = RefusalCode.MONEY


def _positive(amount_minor) -> int:
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise MoneyRefused(_l("Enter an amount greater than zero."))
    return amount_minor


def _not_in_flight(invoice: Invoice) -> None:
    if payments.in_flight(invoice) is not None:
        raise MoneyRefused(IN_FLIGHT_MESSAGE)


def record_desk_payment(
    invoice: Invoice,
    amount_minor: int,
    method: str,
    actor: Actor,
    note: str = "",
    claim_key: str | None = None,
) -> Payment:
    """A payment taken at the desk (cash, cheque, card terminal), claimed like a card charge
    and then booked. The claim takes the invoice's one in-flight slot and is committed before
    the booking, so a desk payment and a card charge racing (in any processes) book once;
    `claim_key` (from the form, `new_claim_key()`) makes a double submit book once."""
    amount = _positive(amount_minor)
    if method not in DESK_METHODS:
        raise MoneyRefused(_l("Choose cash, cheque or card terminal."))
    if invoice.status != InvoiceStatus.OPEN:
        raise MoneyRefused(_l("Only an open invoice can take a payment."))
    key = desk_claim_key(claim_key) if claim_key else None
    done = _claimed_already(invoice, key)
    if done is not None:
        return done
    _not_in_flight(invoice)
    if amount > ledger.balance(invoice.id):
        raise MoneyRefused(_l("The amount is more than the balance."))
    try:
        payment, _ = payments._claim(invoice, method, actor, amount, key=key)
    except payments.PaymentRefused as exc:
        done = _claimed_already(invoice, key)
        if done is not None:
            return done
        if exc.reason == PaymentReason.IN_PROGRESS:
            raise MoneyRefused(IN_FLIGHT_MESSAGE) from exc
        raise MoneyRefused(_l("The amount is more than the balance.")) from exc
    if not payments._move(payment, "succeeded", actor):
        db.session.rollback()
        raise MoneyRefused(IN_FLIGHT_MESSAGE)
    ledger.post(invoice, LedgerKind.PAYMENT, amount, payment_id=payment.id, memo=note[:300] or None)
    payment.receipt_number = f"{invoice.number}-{payment.id}"
    audit.record(
        "payment.desk",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        payment_id=payment.id,
        method=method,
        amount_minor=amount,
    )
    settled = invoices.settle_if_paid(invoice, actor)
    receipts.send_receipt(payment)
    # the booking is durable before the subscribers (plans, incentives) hear of it
    db.session.commit()
    events.payment_succeeded.send(payment, actor=actor)
    if settled:
        events.invoice_settled.send(invoice, actor=actor)
    return payment


def desk_claim_key(form_key: str) -> str:
    """The claim key of a desk payment form's key (32 characters, as a charge's)."""
    return hashlib.sha256(f"desk:{form_key}".encode()).hexdigest()[:32]


def _claimed_already(invoice: Invoice, key: str | None) -> Payment | None:
    """The desk payment this form already booked, if it was submitted before."""
    if key is None:
        return None
    claim = db.session.scalar(db.select(ChargeAttempt).filter_by(key=key))
    if claim is None or claim.payment.invoice_id != invoice.id:
        return None
    return claim.payment if claim.payment.status == PaymentStatus.SUCCEEDED else None


def new_claim_key() -> str:
    """A fresh refund claim key, put in the refund form when it is shown."""
    return secrets.token_urlsafe(24)


def refund(
    payment: Payment,
    amount_minor: int,
    reason: str,
    actor: Actor,
    reduce_balance: bool = True,
    claim_key: str | None = None,
) -> Refund:
    """Give money back, exactly once. With `reduce_balance` the amount owed goes down by the
    same amount (a price correction); without it the patient owes the refunded amount again.

    The refund is claimed against the refundable remainder under a lock on the payment and
    committed before Stripe is called; its idempotency key comes from `claim_key`, so the
    same form submitted twice, or retried after Stripe's answer was lost, refunds once."""
    amount = _positive(amount_minor)
    if not reason.strip():
        raise MoneyRefused(_l("Give a reason for the refund."))
    record = _claim(payment, amount, reason, actor, reduce_balance, claim_key or new_claim_key())
    if record.status != RefundStatus.PENDING or record.stripe_refund_id:
        return record
    if payment.method not in STRIPE_METHODS:
        refunds.apply_state(record, "succeeded", actor)
        # a refund of a desk payment: booked now, no Stripe call follows
        db.session.commit()
        refunds.announce(record)
        return record
    return _at_stripe(payment, record, actor)


def _claim(
    payment: Payment, amount: int, reason: str, actor: Actor, reduce: bool, key: str
) -> Refund:
    existing = db.session.scalar(db.select(Refund).filter_by(claim_key=key))
    if existing is not None:
        return existing
    refunds.lock(payment)
    db.session.refresh(payment)
    if amount > payment.refundable_minor:
        db.session.rollback()
        raise MoneyRefused(_l("The amount is more than what can still be refunded."))
    record = Refund(
        payment_id=payment.id,
        amount_minor=amount,
        currency=payment.currency,
        reason=reason.strip()[:300],
        staff_id=int(actor.ref) if actor.kind == ActorKind.STAFF and actor.ref else None,
        claim_key=key,
        reduce_balance=reduce,
        status=RefundStatus.PENDING,
    )
    db.session.add(record)
    try:
        # the refund claim is durable before Stripe is called: a crash leaves it for reconcile
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return db.session.scalar(db.select(Refund).filter_by(claim_key=key))
    return record


def _at_stripe(payment: Payment, record: Refund, actor: Actor) -> Refund:
    gateway = gateways.stripe(payment.invoice.practice)
    key = f"saldo-{installation_id()}-refund-{record.claim_key}"
    try:
        result = gateway.find_refund(payment.stripe_payment_intent_id, record.claim_key)
        if result is None:
            result = gateway.create_refund(
                payment.stripe_payment_intent_id,
                record.amount_minor,
                key,
                {"saldo_refund_claim": record.claim_key, "saldo_payment_id": str(payment.id)},
            )
    except GatewayUnavailable as exc:
        db.session.rollback()
        raise MoneyRefused(LOST_ANSWER) from exc
    except GatewayError as exc:
        db.session.rollback()
        refunds.apply_state(record, "failed", actor)
        # the failure is recorded before the refusal reaches the view (which rolls back)
        db.session.commit()
        raise MoneyRefused(_l("Stripe did not accept the refund. Nothing was refunded.")) from exc
    record.stripe_refund_id = result.id
    refunds.apply_state(record, result.status, actor)
    # Stripe's answer is recorded as soon as it is known
    db.session.commit()
    refunds.announce(record)
    return record


LOST_ANSWER = _l(
    "Stripe did not answer. The refund is kept as pending: submit it again to finish it; "
    "it will not be refunded twice."
)


def retry_refund(record: Refund, actor: Actor) -> Refund:
    """Finish a refund left pending by a lost answer from Stripe, with the same claim."""
    if not record.claim_key:
        return record
    return refund(
        record.payment,
        record.amount_minor,
        record.reason,
        actor,
        record.reduce_balance,
        record.claim_key,
    )


def reconcile_refunds(older_than: timedelta = timedelta(minutes=5)) -> int:
    """Refunds through Stripe still pending after a few minutes: read back from Stripe, or,
    where Stripe's answer was lost, finished with their own claim. Returns how many were
    looked at; run by `jobs run-due`."""
    query = (
        db.select(Refund)
        .join(Payment)
        .where(
            Refund.status == RefundStatus.PENDING,
            Refund.updated_at < utcnow() - older_than,
            Payment.method.in_(STRIPE_METHODS),
        )
    )
    checked = 0
    for record in db.session.scalars(query).all():
        checked += 1
        try:
            if record.stripe_refund_id is None:
                _at_stripe(record.payment, record, RECONCILE)
                continue
            gateway = gateways.stripe(record.payment.invoice.practice)
            result = gateway.retrieve_refund(record.stripe_refund_id)
        except (GatewayError, MoneyRefused):
            db.session.rollback()
            continue
        refunds.apply_state(record, result.status, RECONCILE)
        # per refund: one read-back's failure must not undo the others
        db.session.commit()
        refunds.announce(record)
    return checked


def refund_credit(payment: Payment, actor: Actor, claim_key: str | None = None) -> Refund:
    """Give back, in one click, the credit held on an invoice from this payment; the refund
    commits on its own (Stripe is called), the caller commits the credit alert's resolution."""
    held = {c.payment.id: c.amount_minor for c in credits.held(payment.invoice)}
    if payment.id not in held:
        raise MoneyRefused(_l("There is no credit left to refund on this payment."))
    record = refund(payment, held[payment.id], CREDIT_REASON, actor, True, claim_key)
    if record.status == RefundStatus.SUCCEEDED and not credits.held(payment.invoice):
        credits.resolve_alerts(payment.invoice, credits.ALERT, "refunded")
    return record


def void(invoice: Invoice, reason: str, actor: Actor) -> None:
    """Cancel an invoice nobody has paid anything on; its links stop working (the caller
    commits)."""
    if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.OPEN):
        raise MoneyRefused(_l("Only a draft or open invoice can be voided."))
    _not_in_flight(invoice)
    if invoices.summarize(invoice).paid_minor:
        raise MoneyRefused(_l("This invoice has payments: refund them first."))
    if not reason.strip():
        raise MoneyRefused(_l("Give a reason."))
    remaining = ledger.balance(invoice.id)
    if remaining > 0:
        ledger.post(invoice, LedgerKind.ADJUSTMENT, remaining, memo=f"void: {reason.strip()[:280]}")
    invoice.status, invoice.voided_at = InvoiceStatus.VOID, utcnow()
    for link in db.session.scalars(db.select(PaymentLink).filter_by(invoice_id=invoice.id)):
        links.revoke(link, actor)
    audit.record(
        "invoice.voided",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        reason=reason.strip(),
    )


def write_off(invoice: Invoice, amount_minor: int, reason: str, actor: Actor) -> None:
    """Stop asking for part or all of the balance, with a reason (the caller commits)."""
    amount = _positive(amount_minor)
    if invoice.status != InvoiceStatus.OPEN:
        raise MoneyRefused(_l("Only an open invoice can be written off."))
    _not_in_flight(invoice)
    if amount > ledger.balance(invoice.id):
        raise MoneyRefused(_l("The amount is more than the balance."))
    if not reason.strip():
        raise MoneyRefused(_l("Give a reason."))
    ledger.post(invoice, LedgerKind.WRITE_OFF, amount, memo=reason.strip()[:300])
    audit.record(
        "invoice.written_off",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        amount_minor=amount,
        reason=reason.strip(),
    )
    invoices.settle_if_paid(invoice, actor)
