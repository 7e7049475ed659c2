"""Stopping emails from the link in a reminder: a confirmation page, then a POST (CSRF).

Opening the link changes nothing (mail scanners open links too); the button does. The page is
in the patient's language, and what it said is kept with the consent record.
"""

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Patient
from portal.models.audit import ActorKind
from portal.models.consent_record import ConsentSource
from portal.models.delivery import Channel
from portal.patient import bp
from portal.services.collections import consent
from portal.services.core.audit import Actor

SOURCES = {Channel.EMAIL: ConsentSource.EMAIL_UNSUBSCRIBE, Channel.SMS: ConsentSource.PATIENT_PAGE}


def _texts(channel: str, practice: str) -> dict:
    """The page's words in the current language; `confirm` is what the patient agrees to."""
    if channel == Channel.SMS:
        title = _("Stop text messages from %(practice)s", practice=practice)
        what = _(
            "If you confirm, %(practice)s will stop sending you text messages about your "
            "bills, such as payment reminders.",
            practice=practice,
        )
        button = _("Stop text messages")
        done = _(
            "You will no longer receive text messages from %(practice)s about your bills.",
            practice=practice,
        )
    else:
        title = _("Stop emails from %(practice)s", practice=practice)
        what = _(
            "If you confirm, %(practice)s will stop sending you emails about your bills, "
            "such as payment reminders.",
            practice=practice,
        )
        button = _("Stop emails")
        done = _(
            "You will no longer receive emails from %(practice)s about your bills.",
            practice=practice,
        )
    still = _(
        "This does not change what you owe, and %(practice)s may still contact you in other "
        "ways, for example by letter or phone.",
        practice=practice,
    )
    again = _("If you change your mind, please contact %(practice)s.", practice=practice)
    return dict(title=title, paragraphs=[what, still], button=button, done=done, again=again)


def _load(token: str) -> tuple[Patient, str] | None:
    found = consent.read_unsubscribe_token(token)
    if found is None:
        return None
    patient, _channel = found
    g.practice = patient.practice
    g.patient_locale = patient.locale
    g.practice_locale = patient.practice.default_locale
    g.practice_timezone = patient.practice.timezone
    return found


def _not_found():
    return render_template("patient/unsubscribe_invalid.html"), 404


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    found = _load(token)
    if found is None:
        return _not_found()
    patient, channel = found
    texts = _texts(channel, patient.practice.name)
    if not consent.has_consent(patient, channel):
        return render_template("patient/unsubscribe_done.html", texts=texts)
    return render_template("patient/unsubscribe.html", texts=texts)


@bp.post("/unsubscribe/<token>")
def unsubscribe_confirm(token: str):
    found = _load(token)
    if found is None:
        return _not_found()
    patient, channel = found
    if consent.has_consent(patient, channel):
        texts = _texts(channel, patient.practice.name)
        shown = "\n\n".join([texts["title"], *texts["paragraphs"], texts["button"]])
        actor = Actor(ActorKind.PATIENT, f"unsubscribe:{patient.id}", request.remote_addr)
        consent.record(patient, channel, False, SOURCES[channel], shown, actor)
        db.session.commit()
    return redirect(url_for("patient.unsubscribe", token=token), 303)
