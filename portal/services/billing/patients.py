"""Patient records of a practice: create, update, search."""

from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_

from portal.clock import practice_today
from portal.extensions import db
from portal.models import Patient, Practice
from portal.models.consent_record import ConsentSource
from portal.models.delivery import Channel
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused

LANGUAGES = ("en", "it")


class InvalidPatient(Refused, ValueError):
    code = RefusalCode.PATIENT


@dataclass(frozen=True)
class PatientInput:
    first_name: str
    last_name: str
    date_of_birth: date
    email: str | None = None
    phone: str | None = None
    locale: str = "en"
    email_consent: bool = True
    sms_consent: bool = False
    #: where a consent change came from ("staff", "api", "csv"); None = from the actor
    consent_source: str | None = None


def _clean(data: PatientInput, practice: Practice) -> dict:
    """The cleaned fields of a patient of `practice`; a date of birth after the practice's
    day (`practice_today`) is refused."""
    first, last = data.first_name.strip(), data.last_name.strip()
    if not first or not last:
        raise InvalidPatient(_l("Enter the patient's first and last name."))
    if data.date_of_birth > practice_today(practice) or data.date_of_birth.year < 1900:
        raise InvalidPatient(_l("Enter a real date of birth."))
    if data.locale not in LANGUAGES:
        raise InvalidPatient(_l("Choose English or Italian."))
    email = (data.email or "").strip() or None
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise InvalidPatient(_l("Enter a valid email address.")) from exc
    phone = "".join(ch for ch in (data.phone or "") if ch.isdigit() or ch == "+") or None
    if phone and not (phone.startswith("+") and 8 <= len(phone) <= 16):
        raise InvalidPatient(_l("Enter the phone number with its country code, e.g. +39 …"))
    return dict(
        first_name=first,
        last_name=last,
        date_of_birth=data.date_of_birth,
        email=email,
        phone=phone,
        locale=data.locale,
        email_consent=data.email_consent,
        sms_consent=data.sms_consent,
    )


def _source(data: PatientInput, actor: Actor) -> str:
    if data.consent_source:
        return data.consent_source
    return ConsentSource.API if (actor.ref or "").startswith("apikey:") else actor.kind


def _record_consent(patient: Patient, channel: str, granted: bool, source: str, actor) -> None:
    from portal.services.collections import consent

    consent.record(
        patient, channel, granted, source, consent.recorded_text(channel, granted, source), actor
    )


def create_patient(practice: Practice, data: PatientInput, actor: Actor) -> Patient:
    """A new patient; each channel consent given is recorded with where it came from."""
    values = _clean(data, practice)
    granted = {c: values.pop(f"{c}_consent") for c in (Channel.EMAIL, Channel.SMS)}
    patient = Patient(practice_id=practice.id, email_consent=False, sms_consent=False, **values)
    db.session.add(patient)
    db.session.flush()
    audit.record("patient.created", practice_id=practice.id, actor=actor, patient_id=patient.id)
    for channel, given in granted.items():
        if given:
            _record_consent(patient, channel, True, _source(data, actor), actor)
    return patient


def update_patient(patient: Patient, data: PatientInput, actor: Actor) -> None:
    """Change a patient's details; each consent change gets its consent record."""
    values = _clean(data, patient.practice)
    changed = sorted(k for k, v in values.items() if getattr(patient, k) != v)
    consent = [k for k in changed if k.endswith("_consent")]
    for key, value in values.items():
        if key not in consent:
            setattr(patient, key, value)
    for key in consent:
        _record_consent(
            patient, key.removesuffix("_consent"), values[key], _source(data, actor), actor
        )
    audit.record(
        "patient.updated",
        practice_id=patient.practice_id,
        actor=actor,
        patient_id=patient.id,
        fields=changed,
        consent={k: values[k] for k in consent},
    )


def search(practice_id: int, text: str = "", limit: int = 100) -> list[Patient]:
    query = db.select(Patient).filter_by(practice_id=practice_id)
    for word in text.split():
        like = f"%{word}%"
        query = query.where(
            or_(
                Patient.first_name.ilike(like),
                Patient.last_name.ilike(like),
                Patient.email.ilike(like),
                Patient.phone.ilike(like),
            )
        )
    return list(
        db.session.scalars(query.order_by(Patient.last_name, Patient.first_name).limit(limit))
    )
