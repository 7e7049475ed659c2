"""Emails about a plan, each in the patient's language (and alerts to the practice)."""

import logging
from datetime import date

from flask import current_app

from portal import gateways
from portal.extensions import db
from portal.models import Installment, Plan
from portal.services import audit, notifications
from portal.services.audit import SYSTEM

log = logging.getLogger(__name__)


def _send(plan: Plan, name: str, to: str | None, locale: str, attachment=None, **context) -> bool:
    if not to:
        return False
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
    try:
        gateways.mailer().send(message)
    except OSError as exc:
        log.warning("%s email for plan %s failed: %s", name, plan.id, exc)
        ok = False
    else:
        ok = True
    audit.record(
        f"plan.email.{name}" if ok else f"plan.email_failed.{name}",
        practice_id=plan.practice_id,
        invoice_id=plan.invoice_id,
        actor=SYSTEM,
        plan_id=plan.id,
    )
    db.session.commit()
    return ok


def _to_patient(plan: Plan, name: str, attachment=None, **context) -> bool:
    patient = plan.invoice.patient
    if not patient.email or not patient.email_consent or patient.paper_records:
        return False
    return _send(plan, name, patient.email, plan.language, attachment, **context)


def agreement_signed(plan: Plan) -> None:
    """Seal the agreement and send it with the confirmation that the plan is active."""
    from portal.services import agreements

    pdf = agreements.finalize(plan)
    attached = plan.invoice.patient.email_attachments  # else the email carries the link only
    attachment = (agreements.filename(plan), pdf) if attached else None
    _to_patient(plan, "plan_active", attachment, attached=attached)


def upcoming(installment: Installment) -> None:
    _to_patient(installment.plan, "installment_upcoming", installment=installment)


def charge_failed(installment: Installment, next_attempt_on: date) -> None:
    _to_patient(
        installment.plan, "installment_failed", installment=installment, next_on=next_attempt_on
    )


def authentication_needed(installment: Installment) -> None:
    from portal.services import sending

    _, url = sending.new_link(installment.plan.invoice, SYSTEM)
    db.session.commit()
    _to_patient(installment.plan, "installment_authenticate", installment=installment, url=url)


def past_due(installment: Installment) -> None:
    plan = installment.plan
    practice = plan.invoice.practice
    _to_patient(plan, "plan_past_due", installment=installment)
    _send(
        plan,
        "practice_plan_past_due",
        practice.email,
        practice.default_locale,
        installment=installment,
        base_url=current_app.config["PORTAL_BASE_URL"].rstrip("/"),
    )
