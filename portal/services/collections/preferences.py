"""How a patient is reached and receives documents: consent to email and texts, receipts and
agreements as email attachments (off by default: emails carry the link, documents are
downloaded after verification), and records on paper once the patient withdraws consent to
electronic records (ESIGN 101(c)(1)(D)).

Every change writes a consent record (`consent.record`; channels "email", "sms",
"attachments" and "esign") naming where it came from: the staff patient page, the API, the
patient's own page.
"""

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import ConsentRecord, Patient, Plan
from portal.models.consent_record import ConsentChannel, ConsentSource
from portal.services.collections import consent
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused
from portal.services.plans import agreements


class InvalidPreference(Refused, ValueError):
    """A preference that cannot be set; the message is translated and says why."""

    code = RefusalCode.PREFERENCE


NO_EMAIL = _l("Attachments need an email address: add the patient's email first.")
ON_PAPER = _l(
    "A patient who receives records on paper cannot also receive them as email attachments."
)


def _text(channel: str, granted: bool, source: str, text_shown: str | None) -> str:
    return text_shown or consent.recorded_text(channel, granted, source)


def set_email_attachments(
    patient: Patient, wanted: bool, source: str, actor: Actor, text_shown: str | None = None
) -> bool:
    """Receipts and agreements as email attachments (`wanted`) or not; False when nothing
    changed. `InvalidPreference` when the patient has no email or receives records on paper."""
    wanted = bool(wanted)
    if wanted and not patient.email:
        raise InvalidPreference(NO_EMAIL)
    if wanted and patient.paper_records:
        raise InvalidPreference(ON_PAPER)
    if patient.email_attachments == wanted:
        return False
    consent.record(
        patient,
        ConsentChannel.ATTACHMENTS,
        wanted,
        source,
        _text(ConsentChannel.ATTACHMENTS, wanted, source, text_shown),
        actor,
    )
    return True


def set_paper_records(
    patient: Patient, paper: bool, source: str, actor: Actor, text_shown: str | None = None
) -> bool:
    """Withdraw (`paper`) or give again consent to electronic records; False when nothing
    changed. A withdrawal also stops attachments and is noted in the evidence of every plan
    the patient consented on; a signature already given stands."""
    paper = bool(paper)
    if patient.paper_records == paper:
        return False
    if paper and patient.email_attachments:
        set_email_attachments(patient, False, source, actor)
    consent.record(
        patient,
        ConsentChannel.ESIGN,
        not paper,
        source,
        _text(ConsentChannel.ESIGN, not paper, source, text_shown),
        actor,
    )
    if paper:
        for plan in db.session.scalars(db.select(Plan).filter_by(patient_id=patient.id)):
            if "consented_at" in (plan.evidence or {}):
                agreements.record_event(plan, "consent_withdrawn", actor, withdrawn_source=source)
    return True


def update(
    patient: Patient,
    source: str,
    actor: Actor,
    *,
    email_consent: bool | None = None,
    sms_consent: bool | None = None,
    email_attachments: bool | None = None,
    paper_records: bool | None = None,
) -> list[str]:
    """Set any of the preferences (None leaves one as it is), checked together first so that
    a refused change changes nothing; the names of the preferences that changed."""
    if email_attachments:
        paper = patient.paper_records if paper_records is None else bool(paper_records)
        if not patient.email:
            raise InvalidPreference(NO_EMAIL)
        if paper:
            raise InvalidPreference(ON_PAPER)
    changed = []
    for channel, wanted in (
        (ConsentChannel.EMAIL, email_consent),
        (ConsentChannel.SMS, sms_consent),
    ):
        if wanted is not None and consent.has_consent(patient, channel) != bool(wanted):
            text = consent.recorded_text(channel, bool(wanted), source)
            consent.record(patient, channel, bool(wanted), source, text, actor)
            changed.append(f"{channel}_consent")
    if paper_records is not None and set_paper_records(patient, paper_records, source, actor):
        changed.append("paper_records")
    if email_attachments is not None and set_email_attachments(
        patient, email_attachments, source, actor
    ):
        changed.append("email_attachments")
    return changed


def consent_on_plan(plan: Plan, actor: Actor) -> None:
    """The patient consented to electronic records on a plan's consent page: the text shown
    is kept with the plan (`agreements.consent`) and in a consent record; a patient who had
    asked for paper is on electronic records again, by that new consent."""
    agreements.consent(plan, actor)
    text = plan.consent_html.decode("utf-8")
    consent.record(
        plan.invoice.patient, ConsentChannel.ESIGN, True, ConsentSource.PATIENT_PAGE, text, actor
    )


def history(patient: Patient, limit: int = 50) -> list[ConsentRecord]:
    """The patient's consent records, newest first (the staff patient page shows them)."""
    query = (
        db.select(ConsentRecord)
        .filter_by(patient_id=patient.id)
        .order_by(ConsentRecord.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
