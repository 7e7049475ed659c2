"""Collecting a plan's installments: charging what is due, retrying declines, reminding.

Each charge goes through `payments.charge` with the installment as this run read it; the
claim (`charging.claim`) moves it scheduled/failed -> processing by compare-and-set against
that status and attempt count in the transaction that inserts the payment, so a second run,
an overlapping consumer or a patient's click cannot claim the same attempt, and its
idempotency key is the claim's own. A decline uses up an attempt and is retried on the
policy's days unless the reason forbids it; an outage gives the attempt back.
"""

from collections.abc import Collection
from datetime import date, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Installment, InstallmentReminder, Invoice, Payment, Plan, PlanPolicy
from portal.models.audit import ActorKind
from portal.models.plan import InstallmentStatus, PlanStatus, retry_days_for
from portal.services.billing import ledger
from portal.services.core import audit
from portal.services.core.audit import SYSTEM, Actor
from portal.services.core.refusals import PaymentReason
from portal.services.messaging import plans as plan_messages
from portal.services.payments import charging

JOB = Actor(ActorKind.SYSTEM, "jobs.run-due")


def _move(installment: Installment, target: str, expected: tuple[str, ...], **values) -> bool:
    """Compare-and-set an installment's status from one of `expected`; False if someone
    else moved it first."""
    result = db.session.execute(
        update(Installment)
        .where(Installment.id == installment.id, Installment.status.in_(expected))
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
    installment = (
        db.session.get(Installment, payment.installment_id) if payment.installment_id else None
    )
    changed = installment is not None and installment.status != InstallmentStatus.PAID
    if changed:
        _move(
            installment,
            "paid",
            ("scheduled", "processing", "failed"),
            paid_at=utcnow(),
            failure_code=None,
            next_attempt_on=None,
        )
        plan = installment.plan
        if plan.status == PlanStatus.PENDING_SIGNATURE and installment.sequence == 0:
            plan.status, plan.activated_at = PlanStatus.ACTIVE, utcnow()
            audit.record(
                "plan.activated",
                practice_id=plan.practice_id,
                invoice_id=invoice.id,
                actor=SYSTEM,
                plan_id=plan.id,
            )
            plan_messages.agreement_signed(plan)
        elif plan.status == PlanStatus.PAST_DUE and not _overdue(plan):
            plan.status = PlanStatus.ACTIVE
    # a payment subscriber: runs after the payment's commit, outside any caller's unit of work,
    # so it commits its own change, if any
    if _finish_if_paid(invoice) or changed:
        db.session.commit()


def on_payment_failed(payment: Payment) -> None:
    """A payment of an installment failed or was cancelled: a genuine decline of the
    scheduled charge uses up an attempt; anything else gives the installment back."""
    installment = db.session.get(Installment, payment.installment_id or 0)
    if installment is None:
        return
    if charging.counts_against_plan(payment) and installment.status == InstallmentStatus.PROCESSING:
        _record_failure(installment, charging.failure_reason(payment))
    elif charging.restore(payment):
        # a payment subscriber: the restored installment is durable for the next run
        db.session.commit()


def on_payment_needs_action(payment: Payment) -> None:
    """The bank asks the patient to authenticate an off-session charge."""
    installment = db.session.get(Installment, payment.installment_id or 0)
    if installment is not None and installment.status == InstallmentStatus.PROCESSING:
        _record_failure(installment, "authentication_required")


def _record_failure(installment: Installment, code: str) -> None:
    plan = installment.plan
    policy = db.session.scalar(db.select(PlanPolicy).filter_by(practice_id=plan.practice_id))
    retries = retry_days_for(policy)
    attempt = installment.attempts
    retry = charging.retryable(code) and attempt <= len(retries)
    next_on = installment.due_on + timedelta(days=retries[attempt - 1]) if retry else None
    if not _move(
        installment, "failed", ("processing",), failure_code=code, next_attempt_on=next_on
    ):
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
    if next_on is None and plan.status == PlanStatus.ACTIVE:
        plan.status = PlanStatus.PAST_DUE
        audit.record(
            "plan.past_due",
            practice_id=plan.practice_id,
            invoice_id=plan.invoice_id,
            actor=JOB,
            plan_id=plan.id,
        )
    if code == "authentication_required":
        plan_messages.authentication_needed(installment)
    elif next_on is not None:
        plan_messages.charge_failed(installment, next_on)
    else:
        plan_messages.past_due(installment)
    # a payment subscriber or the charging job, after the payment's commit: the failure and
    # the patient's notice commit together
    db.session.commit()


def _overdue(plan: Plan) -> bool:
    return any(
        i.status == InstallmentStatus.FAILED and i.next_attempt_on is None
        for i in plan.installments
    )


def _finish_if_paid(invoice: Invoice) -> bool:
    """Complete the invoice's running plans once nothing is owed; True if there were any."""
    if ledger.balance(invoice.id) > 0:
        return False
    query = db.select(Plan).where(
        Plan.invoice_id == invoice.id, Plan.status.in_((PlanStatus.ACTIVE, PlanStatus.PAST_DUE))
    )
    plans = list(db.session.scalars(query))
    for plan in plans:
        plan.status, plan.ended_at = PlanStatus.COMPLETED, utcnow()
        for installment in plan.installments:
            if installment.status in (InstallmentStatus.SCHEDULED, InstallmentStatus.FAILED):
                installment.status, installment.next_attempt_on = InstallmentStatus.CANCELLED, None
        audit.record(
            "plan.completed",
            practice_id=plan.practice_id,
            invoice_id=invoice.id,
            actor=SYSTEM,
            plan_id=plan.id,
        )
    return bool(plans)


def due(today: date, practice_ids: Collection[int] | None = None) -> list[charging.Seen]:
    """Installments of running plans to charge on `today` (first attempts and retries), as
    read now: a claim later holds only if the installment is still exactly so. With
    `practice_ids`, only those practices' plans (the ones whose calendar is on `today`)."""
    query = (
        db.select(Installment.id, Installment.status, Installment.attempts)
        .join(Plan)
        .where(
            Plan.status.in_((PlanStatus.ACTIVE, PlanStatus.PAST_DUE)),
            Installment.sequence > 0,
            or_(
                (Installment.status == InstallmentStatus.SCHEDULED) & (Installment.due_on <= today),
                (Installment.status == InstallmentStatus.FAILED)
                & (Installment.next_attempt_on <= today),
            ),
        )
        .order_by(Installment.due_on, Installment.id)
    )
    if practice_ids is not None:
        query = query.where(Plan.practice_id.in_(practice_ids))
    return [charging.Seen(*row, counts=True) for row in db.session.execute(query).all()]


def charge(seen: charging.Seen) -> str:
    """Charge one installment off-session if it is still as `due()` read it; returns its
    status afterwards ("processing" while Stripe's answer is being checked), or "skipped"
    when another worker or the patient holds it."""
    from portal.services.payments import payments
    from portal.services.payments.payments import PaymentRefused, SavedMethod

    installment = db.session.get(Installment, seen.installment_id)
    plan, invoice = installment.plan, installment.plan.invoice
    amount = min(installment.amount_minor, ledger.balance(invoice.id))
    if amount <= 0:
        _finish_if_paid(invoice)
        # nothing left to charge: the plan's end is recorded before the next installment
        db.session.commit()
        return installment.status
    saved = SavedMethod(
        invoice.patient.stripe_customer_id, plan.stripe_payment_method_id, plan.method
    )
    try:
        outcome = payments.charge(
            invoice, saved, JOB, amount_minor=amount, installment=seen, off_session=True
        )
    except PaymentRefused as exc:
        db.session.expire_all()
        return "skipped" if exc.reason == PaymentReason.IN_PROGRESS else installment.status
    if outcome.status == "requires_action":
        on_payment_needs_action(outcome.payment)
    db.session.expire_all()
    return installment.status


def remind(today: date, days_ahead: int = 3, practice_ids: Collection[int] | None = None) -> int:
    """Tell patients about installments charged in `days_ahead` days; each is told once,
    whatever the number of workers: the reminder row is unique per installment, step, day.
    With `practice_ids`, only those practices' plans."""
    query = (
        db.select(Installment.id)
        .join(Plan)
        .where(
            Plan.status.in_((PlanStatus.ACTIVE, PlanStatus.PAST_DUE)),
            Installment.sequence > 0,
            Installment.status == InstallmentStatus.SCHEDULED,
            Installment.reminded_on.is_(None),
            Installment.due_on > today,
            Installment.due_on <= today + timedelta(days=days_ahead),
        )
    )
    if practice_ids is not None:
        query = query.where(Plan.practice_id.in_(practice_ids))
    count = 0
    for installment_id in db.session.scalars(query).all():
        marked = db.session.execute(
            update(Installment)
            .where(Installment.id == installment_id, Installment.reminded_on.is_(None))
            .values(reminded_on=today)
            .execution_options(synchronize_session=False)
        )
        db.session.add(
            InstallmentReminder(installment_id=installment_id, step="upcoming", sent_on=today)
        )
        try:
            if marked.rowcount != 1:
                raise IntegrityError("reminded", None, Exception("already reminded"))
            db.session.flush()  # the reminder row is unique per installment and day
        except IntegrityError:
            db.session.rollback()
            continue
        plan_messages.upcoming(db.session.get(Installment, installment_id))
        # the job's batch, one reminder: its claim and its notice commit together
        db.session.commit()
        count += 1
    return count
