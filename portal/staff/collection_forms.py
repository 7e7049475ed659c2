"""Forms of the collections pages: call outcomes, holds and disputes."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.models.call_task import CallOutcome
from portal.staff.forms import REQUIRED, choices

OUTCOME_LABELS = {
    CallOutcome.REACHED: _l("Reached the patient"),
    CallOutcome.VOICEMAIL: _l("Left a voicemail"),
    CallOutcome.PROMISE: _l("Promise to pay"),
    CallOutcome.DISPUTE: _l("Disputes the bill"),
    CallOutcome.WRONG_NUMBER: _l("Wrong number"),
}


class CallOutcomeForm(FlaskForm):
    """What came of a call; built with prefix "task-<id>" so each task's form is its own."""

    outcome = RadioField(
        _l("Outcome"),
        choices=choices(*OUTCOME_LABELS.items()),
        validators=[InputRequired(_l("Choose what came of the call."))],
    )
    promise_on = DateField(_l("Promised payment date"), validators=[Optional()])
    promise_amount = StringField(
        _l("Promised amount (empty: the whole balance)"), validators=[Optional(), Length(max=20)]
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class HoldForm(FlaskForm):
    """Put an invoice on hold or in dispute; built with prefix "hold"."""

    kind = SelectField(
        _l("Status"), choices=choices(("hold", _l("On hold")), ("dispute", _l("Disputed")))
    )
    note = TextAreaField(
        _l("Why (the patient will not see this)"),
        validators=[DataRequired(REQUIRED), Length(max=300)],
    )


class ReleaseForm(FlaskForm):
    """Lift a hold or dispute; built with prefix "release"."""

    note = TextAreaField(
        _l("Why it is lifted"), validators=[DataRequired(REQUIRED), Length(max=300)]
    )
