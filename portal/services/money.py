"""Money that staff handle: desk payments, refunds, voids and write-offs."""

from flask_babel import lazy_gettext as _l

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.stripe_gateway import GatewayError
from portal.models import Invoice, Payment, PaymentLink, Refund
from portal.models.payment import DESK_METHODS
from portal.services import audit, invoices, ledger, links, notifications
from portal.services.audit import Actor


class MoneyRefused(ValueError):
    pass


def _positive(amount_minor) -> int:
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise MoneyRefused(_l("Enter an amount greater than zero."))
    return amount_minor


def record_desk_payment(
    invoice: Invoice, amount_minor: int, method: str, actor: Actor, note: str = ""
) -> Payment:
    """A payment taken at the desk (cash, cheque, card terminal), booked at once."""
    amount = _positive(amount_minor)
    if method not in DESK_METHODS:
        raise MoneyRefused(_l("Choose cash, cheque or card terminal."))
    if invoice.status != "open":
        raise MoneyRefused(_l("Only an open invoice can take a payment."))
    if amount > ledger.balance(invoice.id):
        raise MoneyRefused(_l("The amount is more than the balance."))
    now = utcnow()
    payment = Payment(
        invoice_id=invoice.id,
        amount_minor=amount,
        currency=invoice.currency,
        method=method,
        status="succeeded",
        succeeded_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    payment.receipt_number = f"{invoice.number}-{payment.id}"
    ledger.post(invoice, "payment", amount, payment_id=payment.id, memo=note[:300] or None)
    audit.record(
        "payment.succeeded",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        payment_id=payment.id,
        method=method,
        amount_minor=amount,
    )
    invoices.settle_if_paid(invoice, actor)
    db.session.commit()
    notifications.send_receipt(payment)
    return payment


def refund(
    payment: Payment, amount_minor: int, reason: str, actor: Actor, reduce_balance: bool = True
) -> Refund:
    """Give money back. With `reduce_balance` the amount owed goes down by the same amount
    (a price correction); without it the patient owes the refunded amount again."""
    amount = _positive(amount_minor)
    if not reason.strip():
        raise MoneyRefused(_l("Give a reason for the refund."))
    if amount > payment.refundable_minor:
        raise MoneyRefused(_l("The amount is more than what can still be refunded."))
    record = Refund(
        payment_id=payment.id,
        amount_minor=amount,
        currency=payment.currency,
        reason=reason.strip()[:300],
        staff_id=int(actor.ref) if actor.kind == "staff" and actor.ref else None,
    )
    db.session.add(record)
    db.session.flush()
    if payment.method in ("card", "sepa_debit"):
        try:
            refund_id, status = gateways.stripe(payment.invoice.practice).refund(
                payment.stripe_payment_intent_id, amount, f"saldo-refund-{record.id}"
            )
        except GatewayError as exc:
            db.session.rollback()
            raise MoneyRefused(
                _l("Stripe did not accept the refund. Nothing was changed.")
            ) from exc
        record.stripe_refund_id = refund_id
        record.status = "succeeded" if status in ("succeeded", "pending") else "failed"
    else:
        record.status = "succeeded"
    if record.status == "succeeded":
        _book_refund(payment, record, reduce_balance, actor)
    db.session.commit()
    return record


def _book_refund(payment: Payment, record: Refund, reduce_balance: bool, actor: Actor) -> None:
    invoice = payment.invoice
    entry = ledger.post(invoice, "refund", record.amount_minor, memo=record.reason)
    entry.refund_id = record.id
    if reduce_balance:
        ledger.post(invoice, "adjustment", record.amount_minor, memo=record.reason)
    elif invoice.status == "paid" and ledger.balance(invoice.id) > 0:
        invoice.status, invoice.paid_at = "open", None
    audit.record(
        "payment.refunded",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        payment_id=payment.id,
        refund_id=record.id,
        amount_minor=record.amount_minor,
        reason=record.reason,
    )


def void(invoice: Invoice, reason: str, actor: Actor) -> None:
    """Cancel an invoice nobody has paid anything on; its links stop working."""
    if invoice.status not in ("draft", "open"):
        raise MoneyRefused(_l("Only a draft or open invoice can be voided."))
    if invoices.summarize(invoice).paid_minor:
        raise MoneyRefused(_l("This invoice has payments: refund them first."))
    if not reason.strip():
        raise MoneyRefused(_l("Give a reason."))
    remaining = ledger.balance(invoice.id)
    if remaining > 0:
        ledger.post(invoice, "adjustment", remaining, memo=f"void: {reason.strip()[:280]}")
    invoice.status, invoice.voided_at = "void", utcnow()
    for link in db.session.scalars(db.select(PaymentLink).filter_by(invoice_id=invoice.id)):
        links.revoke(link, actor)
    audit.record(
        "invoice.voided",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        reason=reason.strip(),
    )
    db.session.commit()


def write_off(invoice: Invoice, amount_minor: int, reason: str, actor: Actor) -> None:
    """Stop asking for part or all of the balance, with a reason."""
    amount = _positive(amount_minor)
    if invoice.status != "open":
        raise MoneyRefused(_l("Only an open invoice can be written off."))
    if amount > ledger.balance(invoice.id):
        raise MoneyRefused(_l("The amount is more than the balance."))
    if not reason.strip():
        raise MoneyRefused(_l("Give a reason."))
    ledger.post(invoice, "write_off", amount, memo=reason.strip()[:300])
    audit.record(
        "invoice.written_off",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        amount_minor=amount,
        reason=reason.strip(),
    )
    invoices.settle_if_paid(invoice, actor)
    db.session.commit()
