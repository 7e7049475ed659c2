"""Messages about a plan: the sealed agreement and the plan's notices to the patient (and the
past-due alert to the practice).

Each public function records pending work in the caller's transaction (the caller commits
it with the claim that decided it: a reminder row, a failed attempt); the outbox worker
seals the agreement (`seal_agreement`) and delivers each message (`perform`) through
`deliver`, so every one carries a fresh link, re-checks consent and waits for quiet hours
where it should. Nothing here runs inside a payment request.
"""

from datetime import date

from portal.extensions import db
from portal.models import Installment, PendingWork, Plan
from portal.models.delivery import Channel
from portal.services.core import outbox
from portal.services.messaging.delivery import Message, deliver

SEAL = "seal_agreement"
EMAIL = "plan_email"


def _queue(plan: Plan, name: str, key: str, **payload) -> None:
    outbox.enqueue(
        EMAIL,
        f"plan:{plan.id}:{name}:{key}",
        practice_id=plan.practice_id,
        invoice_id=plan.invoice_id,
        plan_id=plan.id,
        name=name,
        **payload,
    )


def agreement_signed(plan: Plan) -> None:
    """Seal the agreement and send it with the confirmation that the plan is active (later,
    by the worker); the caller commits it with the plan's activation."""
    outbox.enqueue(
        SEAL,
        f"plan:{plan.id}:seal",
        practice_id=plan.practice_id,
        invoice_id=plan.invoice_id,
        plan_id=plan.id,
    )


def upcoming(installment: Installment) -> None:
    """The notice a few days before an installment is charged (the caller commits it with
    the reminder row that claimed it)."""
    _queue(
        installment.plan,
        "installment_upcoming",
        f"{installment.id}:{installment.due_on}",
        installment_id=installment.id,
    )


def charge_failed(installment: Installment, next_attempt_on: date) -> None:
    """The notice that an installment was declined and when it is tried again (the caller
    commits it with the failure)."""
    _queue(
        installment.plan,
        "installment_failed",
        f"{installment.id}:{installment.attempts}",
        installment_id=installment.id,
        next_on=next_attempt_on.isoformat(),
    )


def authentication_needed(installment: Installment) -> None:
    """The request to confirm an installment the bank wants authenticated (the caller
    commits it with the failure)."""
    _queue(
        installment.plan,
        "installment_authenticate",
        f"{installment.id}:{installment.attempts}",
        installment_id=installment.id,
    )


def past_due(installment: Installment) -> None:
    """The plan went past due: the patient and the practice are told (the caller commits
    them with the failure)."""
    plan = installment.plan
    _queue(plan, "plan_past_due", str(installment.id), installment_id=installment.id)
    _queue(plan, "practice_plan_past_due", str(installment.id), installment_id=installment.id)


def seal_agreement(work: PendingWork) -> None:
    """Worker: seal the signed agreement (kept on the plan), then queue its email."""
    from portal.services.plans import agreements

    plan = db.session.get(Plan, work.payload["plan_id"])
    agreements.finalize(plan)
    outbox.enqueue(
        EMAIL,
        f"plan:{plan.id}:plan_active:agreement",
        practice_id=plan.practice_id,
        invoice_id=plan.invoice_id,
        plan_id=plan.id,
        name="plan_active",
    )


def perform(work: PendingWork) -> None:
    """Worker: deliver one plan message."""
    plan = db.session.get(Plan, work.payload["plan_id"])
    refs = {"plan_id": plan.id}
    for key in ("installment_id", "next_on"):
        if work.payload.get(key):
            refs[key] = work.payload[key]
    deliver(Message(work.payload["name"], plan.invoice, Channel.EMAIL, refs))
