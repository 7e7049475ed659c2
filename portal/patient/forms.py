"""Patient forms; labels and messages are lazily translated."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from portal.models.delivery import Channel
from portal.models.payment import PaymentMethod
from portal.validation import SingleLine


class DateOfBirthForm(FlaskForm):
    """The patient's date of birth; one after `today` (the patient's day, `patient_today`)
    is refused."""

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    day = IntegerField(
        _l("Day"),
        validators=[
            InputRequired(_l("Enter the day.")),
            NumberRange(1, 31, _l("The day must be between 1 and 31.")),
        ],
    )
    month = IntegerField(
        _l("Month"),
        validators=[
            InputRequired(_l("Enter the month.")),
            NumberRange(1, 12, _l("The month must be between 1 and 12.")),
        ],
    )
    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(_l("Enter the year.")),
            NumberRange(1900, 2100, _l("Enter the year with four digits.")),
        ],
    )

    def validate_year(self, field):
        if self.day.data and self.month.data and field.data:
            try:
                born = date(field.data, self.month.data, self.day.data)
            except ValueError as exc:
                raise ValidationError(_l("This date does not exist.")) from exc
            if born > self.today:
                raise ValidationError(_l("The date of birth cannot be in the future."))

    @property
    def value(self) -> date:
        return date(self.year.data, self.month.data, self.day.data)


class PlanChoiceForm(FlaskForm):
    count = RadioField(_l("Number of monthly installments"), validators=[DataRequired()])


class ConsentForm(FlaskForm):
    agree = BooleanField(
        _l("I agree to receive and sign these documents electronically."),
        validators=[DataRequired(_l("Please tick the box to continue."))],
    )


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token."""


class MethodChoiceForm(FlaskForm):
    method = RadioField(
        _l("How the installments will be paid"),
        choices=[
            SelectChoice(PaymentMethod.CARD, _l("Card")),
            SelectChoice(PaymentMethod.SEPA_DEBIT, _l("SEPA bank debit")),
        ],
        validators=[DataRequired(_l("Choose how you will pay."))],
    )


class SignForm(FlaskForm):
    full_name = StringField(
        _l("Type your full name"),
        validators=[
            DataRequired(_l("Type your full name as it appears on the bill.")),
            Length(max=200),
            SingleLine(),
        ],
    )
    #: the canvas drawing as a PNG data URL, empty on the typed-only path
    drawn = HiddenField()
    #: SHA-256 of the agreement the page showed
    document_sha256 = HiddenField(validators=[DataRequired()])
    time_zone = HiddenField()
    #: Italian practices: the separate approval of the onerous clauses (arts. 1341-1342 c.c.)
    onerous_approved = BooleanField(
        _l("I specifically approve clause 3 (loss of the benefit of the term).")
    )
    onerous_name = StringField(_l("Type your full name again to approve it"), [Length(max=200)])


class LinkRequestForm(FlaskForm):
    """On an expired link's page: send a new link to the address on file."""

    token = HiddenField()
    channel = RadioField(
        _l("Send a new link"),
        choices=[
            SelectChoice(Channel.EMAIL, _l("By email")),
            SelectChoice(Channel.SMS, _l("By text message")),
        ],
        default=Channel.EMAIL,
        validators=[InputRequired(_l("Choose email or text message."))],
    )


class QuestionForm(FlaskForm):
    question = TextAreaField(
        _l("Your question"),
        validators=[
            DataRequired(_l("Write your question.")),
            Length(max=1000, message=_l("Your question is too long (1,000 characters at most).")),
        ],
    )
