"""Collecting a plan's installments: charging what is due, retrying declines, reminding.

Each charge goes through `payments.charge` with an idempotency key per installment and
attempt; the installment moves scheduled/failed -> processing by compare-and-set before
Stripe is called, so a second run, an overlapping worker or a retry cannot charge twice.
"""

from datetime import date, timedelta

from sqlalchemy import or_, update

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Installment, Invoice, Payment, Plan, PlanPolicy
from portal.services import audit, ledger, plan_messages
from portal.services.audit import SYSTEM, Actor

JOB = Actor("system", "jobs.run-due")
NO_RETRY = {"authentication_required", "expired_card", "stolen_card", "lost_card"}


def _move(installment: Installment, target: str, **values) -> bool:
    """Compare-and-set an installment's status; False if someone else moved it first."""
    result = db.session.execute(
        update(Installment)
        .where(Installment.id == installment.id, Installment.status == installment.status)
        .values(status=target, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return False
    db.session.refresh(installment)
    return True


def on_payment_succeeded(payment: Payment) -> None:
    """After a payment is booked: mark its installment paid, activate or finish the plan."""
    invoice = payment.invoice
    installment = db.session.get(Installment, payment.installment_id or 0)
    if installment is not None and installment.status != "paid":
        _move(installment, "paid", paid_at=utcnow(), failure_code=None, next_attempt_on=None)
        plan = installment.plan
        if plan.status == "pending_signature" and installment.sequence == 0:
            plan.status, plan.activated_at = "active", utcnow()
            audit.record(
                "plan.activated",
                practice_id=plan.practice_id,
                invoice_id=invoice.id,
                actor=SYSTEM,
                plan_id=plan.id,
            )
            plan_messages.agreement_signed(plan)
        elif plan.status == "past_due" and not _overdue(plan):
            plan.status = "active"
    _finish_if_paid(invoice)
    db.session.commit()


def on_payment_failed(payment: Payment) -> None:
    installment = db.session.get(Installment, payment.installment_id or 0)
    if installment is None or installment.sequence == 0 or installment.status != "processing":
        return
    _record_failure(installment, payment.failure_code or "declined")


def _record_failure(installment: Installment, code: str) -> None:
    plan = installment.plan
    policy = db.session.scalar(db.select(PlanPolicy).filter_by(practice_id=plan.practice_id))
    retries = policy.retries if policy else [3, 5, 7]
    attempt = installment.attempts
    retry = code not in NO_RETRY and attempt <= len(retries)
    next_on = installment.due_on + timedelta(days=retries[attempt - 1]) if retry else None
    if not _move(installment, "failed", failure_code=code, next_attempt_on=next_on):
        return
    audit.record(
        "installment.failed",
        practice_id=plan.practice_id,
        invoice_id=plan.invoice_id,
        actor=JOB,
        plan_id=plan.id,
        installment=installment.sequence,
        attempt=attempt,
        code=code,
        next_attempt_on=next_on.isoformat() if next_on else None,
    )
    if next_on is None and plan.status == "active":
        plan.status = "past_due"
        audit.record(
            "plan.past_due",
            practice_id=plan.practice_id,
            invoice_id=plan.invoice_id,
            actor=JOB,
            plan_id=plan.id,
        )
    db.session.commit()
    if code == "authentication_required":
        plan_messages.authentication_needed(installment)
    elif next_on is not None:
        plan_messages.charge_failed(installment, next_on)
    else:
        plan_messages.past_due(installment)


def _overdue(plan: Plan) -> bool:
    return any(i.status == "failed" and i.next_attempt_on is None for i in plan.installments)


def _finish_if_paid(invoice: Invoice) -> None:
    if ledger.balance(invoice.id) > 0:
        return
    query = db.select(Plan).where(
        Plan.invoice_id == invoice.id, Plan.status.in_(("active", "past_due"))
    )
    for plan in db.session.scalars(query):
        plan.status, plan.ended_at = "completed", utcnow()
        for installment in plan.installments:
            if installment.status in ("scheduled", "failed"):
                installment.status, installment.next_attempt_on = "cancelled", None
        audit.record(
            "plan.completed",
            practice_id=plan.practice_id,
            invoice_id=invoice.id,
            actor=SYSTEM,
            plan_id=plan.id,
        )


def due(today: date) -> list[Installment]:
    """Installments of running plans to charge on `today`: first attempts and retries."""
    query = (
        db.select(Installment)
        .join(Plan)
        .where(
            Plan.status.in_(("active", "past_due")),
            Installment.sequence > 0,
            or_(
                (Installment.status == "scheduled") & (Installment.due_on <= today),
                (Installment.status == "failed") & (Installment.next_attempt_on <= today),
            ),
        )
        .order_by(Installment.due_on, Installment.id)
    )
    return list(db.session.scalars(query))


def charge(installment: Installment) -> str:
    """Charge one installment off-session; returns its status afterwards."""
    from portal.services import payments
    from portal.services.payments import PaymentRefused, SavedMethod

    plan, invoice = installment.plan, installment.plan.invoice
    attempts = installment.attempts + 1
    if not _move(installment, "processing", attempts=attempts):
        return installment.status
    db.session.commit()
    amount = min(installment.amount_minor, ledger.balance(invoice.id))
    if amount <= 0:
        _finish_if_paid(invoice)
        db.session.commit()
        return installment.status
    saved = SavedMethod(
        invoice.patient.stripe_customer_id, plan.stripe_payment_method_id, plan.method
    )
    try:
        outcome = payments.charge(
            invoice,
            saved,
            JOB,
            amount_minor=amount,
            installment_id=installment.id,
            off_session=True,
            attempt=attempts,
        )
    except PaymentRefused as exc:
        db.session.refresh(installment)
        if installment.status == "processing":
            _record_failure(installment, exc.detail or exc.reason)
        return installment.status
    if outcome.status == "requires_action":
        _record_failure(installment, "authentication_required")
    db.session.refresh(installment)
    return installment.status


def remind(today: date, days_ahead: int = 3) -> int:
    """Tell patients about installments charged in `days_ahead` days; each is told once."""
    query = (
        db.select(Installment)
        .join(Plan)
        .where(
            Plan.status.in_(("active", "past_due")),
            Installment.sequence > 0,
            Installment.status == "scheduled",
            Installment.reminded_on.is_(None),
            Installment.due_on > today,
            Installment.due_on <= today + timedelta(days=days_ahead),
        )
    )
    count = 0
    for installment in db.session.scalars(query).all():
        installment.reminded_on = today
        db.session.commit()
        plan_messages.upcoming(installment)
        count += 1
    return count
