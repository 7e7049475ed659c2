"""Forms of the fiscal pages: the owner's fiscal settings, a codice fiscale, an export month."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.staff.forms import REQUIRED


class FiscalProfileForm(FlaskForm):
    issuer = RadioField(
        _l("Who issues the fiscal documents?"),
        choices=[
            SelectChoice("saldo", _l("Saldo issues them (health invoices and credit notes)")),
            SelectChoice(
                "practice",
                _l("Our own software does: Saldo's receipts are payment confirmations only"),
            ),
        ],
        validators=[DataRequired(REQUIRED)],
    )
    legal_name = StringField(
        _l("Name on fiscal documents"), validators=[Optional(), Length(max=200)]
    )
    fiscal_address = TextAreaField(
        _l("Registered address"), validators=[Optional(), Length(max=500)]
    )
    partita_iva = StringField(_l("Partita IVA"), validators=[Optional(), Length(max=20)])
    codice_fiscale = StringField(_l("Codice fiscale"), validators=[Optional(), Length(max=20)])
    regime = StringField(_l("Tax regime"), validators=[Optional(), Length(max=100)])
    albo = StringField(_l("Professional register (albo)"), validators=[Optional(), Length(max=200)])
    stamp_charged_to_patient = BooleanField(_l("Recover the €2 stamp duty from the patient"))
    stamp_authorization = StringField(
        _l("Authorisation for virtual stamp duty"), validators=[Optional(), Length(max=200)]
    )
    ein = StringField(_l("EIN (US tax id)"), validators=[Optional(), Length(max=12)])
    npi = StringField(
        _l("NPI (US national provider identifier)"), validators=[Optional(), Length(max=12)]
    )


class CodiceFiscaleForm(FlaskForm):
    codice_fiscale = StringField(
        _l("Codice fiscale"), validators=[DataRequired(REQUIRED), Length(max=20)]
    )


class MonthForm(FlaskForm):
    class Meta:
        csrf = False

    month = StringField(
        _l("Month"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^\d{4}-\d{2}$", message=_l("Give the month as YYYY-MM, e.g. 2027-01.")),
        ],
    )


class TaxIdImportForm(FlaskForm):
    file = FileField(_l("CSV file with the columns patient_id and codice_fiscale"))
