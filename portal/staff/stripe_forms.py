"""Forms of the owner's Stripe account page; secrets are entered, never shown back."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import Length, Optional


class StripeAccountForm(FlaskForm):
    publishable_key = StringField(_l("Publishable key"), validators=[Optional(), Length(max=255)])
    secret_key = PasswordField(_l("Secret key"), validators=[Optional(), Length(max=255)])
    webhook_secret = PasswordField(
        _l("Webhook signing secret"), validators=[Optional(), Length(max=255)]
    )
    api_base = StringField(
        _l("API address (development and tests only)"), validators=[Optional(), Length(max=255)]
    )


class DescriptorForm(FlaskForm):
    statement_descriptor_prefix = StringField(
        _l("Prefix set in your Stripe account"), validators=[Optional(), Length(max=10)]
    )
    statement_descriptor_suffix = StringField(
        _l("Suffix added to each payment"), validators=[Optional(), Length(max=22)]
    )
