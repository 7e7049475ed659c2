"""Forms of the staff member's own security page; every change asks for the password and,
when the second factor is on, a current code."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.staff.forms import REQUIRED, NewPasswordForm


class ConfirmForm(FlaskForm):
    """The current password and a current code (or a recovery code)."""

    current = PasswordField(_l("Your current password"), validators=[DataRequired(REQUIRED)])
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[Optional(), Length(6, 24)],
    )


class TurnOffForm(ConfirmForm):
    pass


class RecoveryCodesForm(ConfirmForm):
    pass


class PasswordChangeForm(ConfirmForm, NewPasswordForm):
    pass


class EmailChangeForm(ConfirmForm):
    email = EmailField(
        _l("New email"),
        validators=[DataRequired(REQUIRED), Email(_l("Enter a valid email address."))],
    )
