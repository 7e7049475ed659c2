"""Emails about a plan, each in the patient's language (and alerts to the practice).

Each public function records the message as pending work in the caller's transaction; the
outbox worker seals the agreement and sends the messages (`seal_agreement`, `deliver`),
retrying what fails. Nothing here runs inside a payment request.
"""

from datetime import date

from flask import current_app

from portal import gateways
from portal.extensions import db
from portal.models import Installment, PendingWork, Plan
from portal.services import notifications
from portal.services.core import audit, outbox
from portal.services.core.audit import SYSTEM

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
    db.session.commit()


def agreement_signed(plan: Plan) -> None:
    """Seal the agreement and send it with the confirmation that the plan is active (later,
    by the worker). Commits."""
    outbox.enqueue(
        SEAL,
        f"plan:{plan.id}:seal",
        practice_id=plan.practice_id,
        invoice_id=plan.invoice_id,
        plan_id=plan.id,
    )
    db.session.commit()


def upcoming(installment: Installment) -> None:
    _queue(
        installment.plan,
        "installment_upcoming",
        f"{installment.id}:{installment.due_on}",
        installment_id=installment.id,
    )


def charge_failed(installment: Installment, next_attempt_on: date) -> None:
    _queue(
        installment.plan,
        "installment_failed",
        f"{installment.id}:{installment.attempts}",
        installment_id=installment.id,
        next_on=next_attempt_on.isoformat(),
    )


def authentication_needed(installment: Installment) -> None:
    _queue(
        installment.plan,
        "installment_authenticate",
        f"{installment.id}:{installment.attempts}",
        installment_id=installment.id,
    )


def past_due(installment: Installment) -> None:
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


def deliver(work: PendingWork) -> None:
    """Worker: render and send one plan email now; raises if it could not be sent."""
    plan = db.session.get(Plan, work.payload["plan_id"])
    name = work.payload["name"]
    installment = db.session.get(Installment, work.payload.get("installment_id") or 0)
    context: dict = {"installment": installment}
    if work.payload.get("next_on"):
        context["next_on"] = date.fromisoformat(work.payload["next_on"])
    attachment = None
    if name == "plan_active":
        from portal.services.plans import agreements

        pdf = agreements.finalize(plan)
        attached = plan.invoice.patient.email_attachments  # else the email carries the link only
        attachment = (agreements.filename(plan), pdf) if attached else None
        context["attached"] = attached
    if name == "installment_authenticate":
        from portal.services import sending

        _, context["url"] = sending.new_link(plan.invoice, SYSTEM)
    if name.startswith("practice_"):
        practice = plan.invoice.practice
        context["base_url"] = current_app.config["PORTAL_BASE_URL"].rstrip("/")
        _send(plan, name, practice.email, practice.default_locale, attachment, **context)
        return
    patient = plan.invoice.patient
    if patient.email and patient.email_consent and not patient.paper_records:
        _send(plan, name, patient.email, plan.language, attachment, **context)


def _send(plan: Plan, name: str, to: str | None, locale: str, attachment, **context) -> None:
    if not to:
        return
    invoice = plan.invoice
    subject, text, html = notifications.render_email(
        name,
        locale,
        plan=plan,
        invoice=invoice,
        practice=invoice.practice,
        patient=invoice.patient,
        **context,
    )
    message = notifications.build_message(invoice.practice, to, subject, text, html)
    if attachment:
        filename, data = attachment
        message.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    gateways.mailer().send(message)
    audit.record(
        f"plan.email.{name}",
        practice_id=plan.practice_id,
        invoice_id=plan.invoice_id,
        actor=SYSTEM,
        plan_id=plan.id,
    )
