"""Owner setting: the practice's reminder cadence."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from portal.extensions import db
from portal.models import Practice
from portal.models.cadence_step import CadenceChannel, CadenceTone
from portal.services.collections import bill_questions, cadence_settings
from portal.services.collections.cadence_settings import CadenceRefused
from portal.services.collections.cadence_steps import Step
from portal.staff import bp
from portal.staff.access import OWNER, actor, role_required
from portal.staff.forms import ActionForm, choices
from portal.units import commit_or_refuse

CHANNELS = choices(
    ("", "—"),
    (CadenceChannel.CALL, _l("Call task")),
    (CadenceChannel.SMS, _l("Text message")),
    (CadenceChannel.EMAIL, _l("Email")),
    (CadenceChannel.LETTER, _l("Letter")),
)
TONES = choices(
    (CadenceTone.COURTESY, _l("Courtesy")),
    (CadenceTone.FRIENDLY, _l("Friendly")),
    (CadenceTone.FIRM, _l("Firm")),
    (CadenceTone.FIRMER, _l("Firmer")),
    (CadenceTone.FINAL, _l("Final")),
)


class StepForm(Form):
    channel = SelectField(
        _l("Channel"), choices=CHANNELS, validators=[Optional()], validate_choice=False
    )
    day_offset = IntegerField(_l("Days after the due date"), validators=[Optional()])
    tone = SelectField(_l("Tone"), choices=TONES, validate_choice=False)


class CadenceForm(FlaskForm):
    steps = FieldList(FormField(StepForm), min_entries=12)


class QuestionPauseForm(FlaskForm):
    days = IntegerField(
        _l("Days a patient's question pauses the reminders"),
        validators=[
            InputRequired(_l("Enter a number of days.")),
            NumberRange(0, bill_questions.PAUSE_MAX_DAYS, _l("Choose between 0 and 60 days.")),
        ],
    )


def _pause_form(practice: Practice) -> QuestionPauseForm:
    form = QuestionPauseForm(prefix="pause")
    if form.days.data is None:
        form.days.data = practice.question_pause_days
    return form


@bp.route("/settings/cadence", methods=["GET", "POST"])
@role_required(*OWNER)
def cadence_settings_page():
    practice_id = current_user.practice_id
    form = CadenceForm()
    if request.method == "GET":
        for entry, step in zip(
            form.steps.entries, cadence_settings.current(practice_id), strict=False
        ):
            entry.form.channel.data = step.channel
            entry.form.day_offset.data = step.day_offset
            entry.form.tone.data = step.tone
    if form.validate_on_submit():
        steps = [
            Step(0, e.form.channel.data, e.form.day_offset.data, e.form.tone.data)
            for e in form.steps.entries
            if e.form.channel.data and e.form.day_offset.data is not None
        ]
        saved = commit_or_refuse(
            lambda: cadence_settings.save(practice_id, steps, actor(request.remote_addr)),
            CadenceRefused,
        )
        if saved:
            flash(_("Reminder cadence saved."), "info")
            return redirect(url_for("staff.cadence_settings_page"))
        form.form_errors.append(saved.message)
    return render_template(
        "staff/cadence.html",
        form=form,
        reset_form=ActionForm(prefix="reset"),
        pause_form=_pause_form(db.session.get(Practice, practice_id)),
    )


@bp.post("/settings/cadence/question-pause")
@role_required(*OWNER)
def question_pause():
    practice = db.session.get(Practice, current_user.practice_id)
    form = QuestionPauseForm(prefix="pause")
    if form.validate_on_submit():
        bill_questions.set_pause_days(practice, form.days.data, actor(request.remote_addr))
        db.session.commit()
        flash(_("Question pause saved."), "info")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("staff.cadence_settings_page"))


@bp.post("/settings/cadence/reset")
@role_required(*OWNER)
def cadence_reset():
    if ActionForm(prefix="reset").validate_on_submit():
        cadence_settings.reset(current_user.practice_id, actor(request.remote_addr))
        db.session.commit()
        flash(_("Back to the 3-3-3 cadence."), "info")
    return redirect(url_for("staff.cadence_settings_page"))
