"""Staff forms; labels and messages are lazily translated."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.models.payment import PaymentMethod
from portal.models.staff import Role
from portal.validation import SingleLine


def choices(*pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


LANGUAGE_CHOICES = choices(("en", "English"), ("it", "Italiano"))
REQUIRED = _l("This field is required.")


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)])


class CodeForm(FlaskForm):
    code = StringField(
        _l("6-digit code from your authenticator app, or a recovery code"),
        validators=[DataRequired(REQUIRED), Length(6, 24)],
    )


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(REQUIRED), Length(min=12, message=_l("At least 12 characters."))],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("password", message=_l("The passwords do not match."))],
    )


class PatientForm(FlaskForm):
    first_name = StringField(
        _l("First name"), validators=[DataRequired(REQUIRED), Length(max=100), SingleLine()]
    )
    last_name = StringField(
        _l("Last name"), validators=[DataRequired(REQUIRED), Length(max=100), SingleLine()]
    )
    date_of_birth = DateField(
        _l("Date of birth"), validators=[InputRequired(_l("Enter a date of birth."))]
    )
    email = EmailField(
        _l("Email"), validators=[Optional(), Email(_l("Enter a valid email address."))]
    )
    phone = StringField(_l("Mobile number"), validators=[Optional(), Length(max=32)])
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    email_consent = BooleanField(_l("Agrees to be contacted by email"), default=True)
    sms_consent = BooleanField(_l("Agrees to be contacted by text message"))


class DocumentPreferencesForm(FlaskForm):
    """How the patient receives receipts and agreements (set on the patient page)."""

    email_attachments = BooleanField(_l("Send receipts and agreements as email attachments"))
    paper_records = BooleanField(
        _l("Records on paper (the patient withdrew consent to electronic records)")
    )


class LineForm(Form):
    service_date = DateField(_l("Service date"), validators=[Optional()])
    procedure_code = StringField(_l("Code"), validators=[Optional(), Length(max=20)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=300)])
    charged = StringField(_l("Charged"), validators=[Optional()])
    insurance_paid = StringField(_l("Insurance paid"), validators=[Optional()])
    adjustment = StringField(_l("Adjustment"), validators=[Optional()])


class InvoiceForm(FlaskForm):
    number = StringField(
        _l("Invoice number"), validators=[DataRequired(REQUIRED), Length(max=40), SingleLine()]
    )
    issued_on = DateField(_l("Issue date"), validators=[InputRequired(REQUIRED)])
    due_on = DateField(_l("Due date"), validators=[InputRequired(REQUIRED)])
    lines = FieldList(FormField(LineForm), min_entries=3)


class SendForm(FlaskForm):
    channel = SelectField(
        _l("Send by"), choices=choices(("email", _l("Email")), ("sms", _l("Text message")))
    )


class DeskPaymentForm(FlaskForm):
    amount = StringField(_l("Amount"), validators=[DataRequired(REQUIRED)])
    method = SelectField(
        _l("Method"),
        choices=choices(
            (PaymentMethod.CASH, _l("Cash")),
            (PaymentMethod.CHEQUE, _l("Cheque")),
            (PaymentMethod.CARD_TERMINAL, _l("Card terminal")),
        ),
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class RefundForm(FlaskForm):
    amount = StringField(_l("Amount to refund"), validators=[DataRequired(REQUIRED)])
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=300)])
    reduce_balance = BooleanField(_l("Also reduce what the patient owes"), default=True)


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=280)])


class WriteOffForm(FlaskForm):
    amount = StringField(_l("Amount to write off"), validators=[DataRequired(REQUIRED)])
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=280)])


class ActionForm(FlaskForm):
    """An empty form, so that buttons which only POST still carry the CSRF token."""


class PracticeForm(FlaskForm):
    name = StringField(
        _l("Practice name"), validators=[DataRequired(REQUIRED), Length(max=200), SingleLine()]
    )
    email = EmailField(
        _l("Email"), validators=[Optional(), Email(_l("Enter a valid email address."))]
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=500)])
    default_locale = SelectField(_l("Default language"), choices=LANGUAGE_CHOICES)
    brand_colour = StringField(
        _l("Brand colour"), validators=[DataRequired(REQUIRED), Length(min=7, max=7)]
    )
    message_note_en = TextAreaField(
        _l("Closing lines of link messages in English"), validators=[Optional(), Length(max=300)]
    )
    message_note_it = TextAreaField(
        _l("Closing lines of link messages in Italian"), validators=[Optional(), Length(max=300)]
    )


class StaffForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(REQUIRED), Length(max=200), SingleLine()]
    )
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Email()])
    role = SelectField(
        _l("Role"),
        choices=choices(
            (Role.OWNER, _l("Owner")), (Role.BILLING, _l("Billing")), (Role.VIEWER, _l("Viewer"))
        ),
    )
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    password = PasswordField(
        _l("Temporary password"),
        validators=[DataRequired(REQUIRED), Length(min=12, message=_l("At least 12 characters."))],
    )


class ApiKeyForm(FlaskForm):
    name = StringField(_l("Key name"), validators=[DataRequired(REQUIRED), Length(max=100)])


def _numbers(text: str, low: int, high: int) -> list[int]:
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not parts or not all(p.isdigit() and low <= int(p) <= high for p in parts):
        raise ValueError
    return sorted({int(p) for p in parts})


class PlanPolicyForm(FlaskForm):
    enabled = BooleanField(_l("Offer payment plans"), default=True)
    allowed_counts = StringField(
        _l("Numbers of monthly installments offered"), validators=[DataRequired(REQUIRED)]
    )
    min_down_percent = IntegerField(
        _l("Minimum down payment (%)"),
        validators=[InputRequired(REQUIRED), NumberRange(0, 90, _l("Between 0 and 90."))],
    )
    min_down = StringField(_l("Minimum down payment (amount)"), default="0")
    min_installment = StringField(_l("Minimum installment"), validators=[DataRequired(REQUIRED)])
    min_balance = StringField(_l("Minimum balance for a plan"), validators=[DataRequired(REQUIRED)])
    day_of_month = IntegerField(
        _l("Charge day of the month (empty: the signing day)"),
        validators=[Optional(), NumberRange(1, 28, _l("Between 1 and 28."))],
    )
    retry_days = StringField(
        _l("Retry a declined charge after (days)"), validators=[DataRequired(REQUIRED)]
    )

    def validate_allowed_counts(self, field):
        try:
            self.counts = _numbers(field.data, 2, 60)
        except ValueError as exc:
            raise ValidationError(_l("List numbers from 2 to 60, e.g. 3, 6, 10, 12.")) from exc

    def validate_retry_days(self, field):
        try:
            self.retries = _numbers(field.data, 1, 30)
        except ValueError as exc:
            raise ValidationError(_l("List days from 1 to 30, e.g. 3, 5, 7.")) from exc
