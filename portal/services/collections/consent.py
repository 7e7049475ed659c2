"""A patient's consent to be contacted by email or text, and the evidence of each change.

Every change goes through `record`: a `ConsentRecord` with the text the patient was shown,
who made the change and where (staff form, API, CSV import, patient page, text reply), the
flag on the patient, and an audit event. Opting out of one channel leaves the others as
they were. Emails carry a signed unsubscribe link (`unsubscribe_url`).

Texts are stopped by any reasonable opt-out reply (CTIA keywords and the FCC's 2024
revocation rule, 47 CFR 64.1200(a)(10)), in English or Italian, whatever the case, accents
or punctuation: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPT OUT, ARRESTO,
BASTA, CANCELLA, DISISCRIVI... as the whole reply or with polite words around it ("Stop!",
"STOP please", "Per favore basta"); STOP, UNSUBSCRIBE, REVOKE, OPT OUT and ARRESTO anywhere
in a reply ("Please stop texting me"). START / INIZIA start them again.
"""

import re
import unicodedata
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from portal.extensions import db
from portal.i18n import rendering_in
from portal.models import ConsentRecord, Patient
from portal.models.consent_record import ConsentChannel, ConsentSource
from portal.models.delivery import Channel
from portal.services.core import audit
from portal.services.core.audit import SYSTEM, Actor

CHANNELS = (Channel.EMAIL, Channel.SMS)
#: what a consent record can be about, and the patient flag it sets; `esign` granted means
#: electronic records, so its flag (`paper_records`) is the opposite of the consent
FLAGS = {
    ConsentChannel.EMAIL: ("email_consent", False),
    ConsentChannel.SMS: ("sms_consent", False),
    ConsentChannel.ATTACHMENTS: ("email_attachments", False),
    ConsentChannel.ESIGN: ("paper_records", True),
}
#: a reply made of one of these (and polite words) stops texts
STOP_WORDS = frozenset(
    {
        "STOP",
        "STOPALL",
        "STOP ALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPT OUT",
        "OPTOUT",
        "ARRESTO",
        "BASTA",
        "CANCELLA",
        "CANCELLAMI",
        "DISISCRIVI",
        "DISISCRIVIMI",
        "REVOCA",
    }
)
#: these stop texts wherever they are in a reply
STOP_ANYWHERE = ("STOP", "STOPALL", "UNSUBSCRIBE", "REVOKE", "OPT OUT", "OPTOUT", "ARRESTO")
START_WORDS = frozenset({"START", "UNSTOP", "INIZIA", "RIPRENDI"})
#: words that may come with a keyword without changing what it asks
POLITE = frozenset(
    [
        "PLEASE",
        "PLS",
        "PLZ",
        "NOW",
        "THANKS",
        "THANK",
        "YOU",
        "THX",
        "ME",
        "TEXTING",
        "TEXTS",
        "TEXT",
        "MESSAGES",
        "SMS",
        "IT",
        "PER",
        "FAVORE",
        "GRAZIE",
        "MI",
        "MESSAGGI",
        "SUBITO",
    ]
)
UNSUBSCRIBE_SALT = "saldo.unsubscribe"


def record(
    patient: Patient,
    channel: str,
    granted: bool,
    source: str,
    text_shown: str,
    actor: Actor = SYSTEM,
) -> ConsentRecord:
    """Grant or withdraw consent to `channel` (see `FLAGS`); added to the session, the caller
    commits.

    `source` is where it happened ("sms_stop", "sms_start", "email_unsubscribe", "staff",
    "api", "csv", "patient_page"); `text_shown` is what the patient read when it happened
    (or what the staff member or system attested, see `recorded_text`)."""
    if channel not in FLAGS:
        raise ValueError(f"unknown channel {channel!r}")
    entry = ConsentRecord(
        patient_id=patient.id,
        channel=channel,
        granted=bool(granted),
        source=source[:32],
        text_shown=text_shown,
        recorded_by=":".join(part for part in (actor.kind, actor.ref) if part)[:100],
    )
    db.session.add(entry)
    flag, inverted = FLAGS[channel]
    before = getattr(patient, flag) != inverted
    setattr(patient, flag, bool(granted) != inverted)
    db.session.flush()
    audit.record(
        "consent.granted" if granted else "consent.withdrawn",
        practice_id=patient.practice_id,
        actor=actor,
        patient_id=patient.id,
        channel=channel,
        source=entry.source,
        consent_record_id=entry.id,
        changed=before != bool(granted),
    )
    return entry


# --- texts: STOP and START --------------------------------------------------------------------


def recorded_text(channel: str, granted: bool, source: str) -> str:
    """What a consent record names as shown when it was not the patient's own action."""
    what = {
        ConsentChannel.EMAIL: "contact by email",
        ConsentChannel.SMS: "contact by text message",
        ConsentChannel.ATTACHMENTS: "receipts and agreements as email attachments",
        ConsentChannel.ESIGN: "electronic records (withdrawn: records on paper)",
    }[channel]
    verb = "granted" if granted else "withdrawn"
    where = {
        ConsentSource.STAFF: "by practice staff",
        ConsentSource.API: "through the API",
        ConsentSource.CSV: "by CSV import",
        ConsentSource.PATIENT_PAGE: "on the patient's page",
    }
    return f"Consent to {what} {verb}, recorded {where.get(source, source)}."


def _normalized(body: str) -> str:
    decomposed = unicodedata.normalize("NFKD", body or "")
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", letters).split())


def _only(words: str, keywords: frozenset[str]) -> bool:
    """`words` is one keyword, alone or with polite words before or after it."""
    tokens = words.split()
    for start in range(len(tokens)):
        for end in range(start + 1, min(start + 2, len(tokens)) + 1):
            if " ".join(tokens[start:end]) in keywords:
                rest = tokens[:start] + tokens[end:]
                if all(t in POLITE for t in rest):
                    return True
    return False


def keyword(body: str | None) -> str | None:
    """Whether a text asks to stop or start texts: "stop", "start" or None.

    Case, accents and punctuation do not matter ("Stop!", "stop." and "STOP" are alike)."""
    words = _normalized(body or "")
    if not words:
        return None
    padded = f" {words} "
    if _only(words, STOP_WORDS) or any(f" {w} " in padded for w in STOP_ANYWHERE):
        return "stop"
    if _only(words, START_WORDS):
        return "start"
    return None


def patients_with_phone(phone: str) -> list[Patient]:
    """Every patient (of any practice) whose mobile number is `phone` (E.164, as stored)."""
    if not phone:
        return []
    query = db.select(Patient).filter_by(phone=phone.strip()).order_by(Patient.id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class SmsReply:
    text: str
    locale: str
    patients: int


def handle_text(from_number: str, body: str, actor: Actor) -> SmsReply | None:
    """Apply a STOP or START text from `from_number`; the reply to send back, in the first
    matching patient's language, or None when there is nothing to answer."""
    word = keyword(body)
    patients = patients_with_phone(from_number) if word else []
    if not patients:
        return None
    first = patients[0]
    # the reply names no practice: whoever holds the number now learns nothing of the care
    with rendering_in(first.locale or first.practice.default_locale) as locale:
        if word == "stop":
            text = _(
                "You will no longer receive text messages from this number. "
                "Reply START to receive them again."
            )
        else:
            text = _(
                "You will receive text messages from this number again. Reply STOP to stop them."
            )
    for patient in patients:
        record(
            patient,
            ConsentChannel.SMS,
            word == "start",
            ConsentSource.SMS_START if word == "start" else ConsentSource.SMS_STOP,
            text,
            actor,
        )
    return SmsReply(text, locale, len(patients))


# --- email: the unsubscribe link ---------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(patient: Patient, channel: str = Channel.EMAIL) -> str:
    """A signed token naming the patient and the channel; it does not expire."""
    return _serializer().dumps([patient.id, channel])


def unsubscribe_url(patient: Patient, channel: str = Channel.EMAIL) -> str:
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    return f"{base}/unsubscribe/{unsubscribe_token(patient, channel)}"


def read_unsubscribe_token(token: str) -> tuple[Patient, str] | None:
    """The patient and channel a token names, or None if it is forged, altered or stale."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if not (isinstance(payload, list) and len(payload) == 2):
        return None
    patient_id, channel = payload
    if not isinstance(patient_id, int) or channel not in CHANNELS:
        return None
    patient = db.session.get(Patient, patient_id)
    return (patient, channel) if patient is not None else None


def has_consent(patient: Patient, channel: str) -> bool:
    return bool(patient.email_consent if channel == Channel.EMAIL else patient.sms_consent)
