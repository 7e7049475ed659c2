"""A practice's fiscal profile: who issues the fiscal document, and the identifiers printed
on it (Italy: partita IVA, codice fiscale, regime, albo; US: EIN and NPI)."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect
from sqlalchemy.orm.base import NO_VALUE
from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.it import codicefiscale, iva
from stdnum.us import ein

from portal.clock import utcnow
from portal.extensions import db
from portal.models import FiscalProfile, Practice
from portal.models.fiscal import ISSUERS, Issuer
from portal.services.core.refusals import RefusalCode, Refused


class FiscalRefused(Refused, ValueError):
    """A translated reason why fiscal data or a document cannot be accepted."""

    code = RefusalCode.FISCAL


def profile_of(practice: Practice) -> FiscalProfile:
    """The practice's profile; an unsaved default (the practice's own software issues the
    fiscal documents) when the owner has not set one."""
    loaded = inspect(practice).attrs.fiscal_profile.loaded_value
    if loaded is NO_VALUE:  # not read with the practice (the bill page reads it so)
        loaded = db.session.scalar(db.select(FiscalProfile).filter_by(practice_id=practice.id))
    return loaded or FiscalProfile(practice_id=practice.id, issuer=Issuer.PRACTICE)


def saldo_issues(practice: Practice) -> bool:
    """Saldo issues the Italian health invoices of this practice."""
    return practice.country == "IT" and profile_of(practice).issuer == Issuer.SALDO


def receipts_are_confirmations(practice: Practice) -> bool:
    """Saldo's receipts must say they are payment confirmations, not fiscal documents."""
    profile = profile_of(practice)
    return profile.issuer == Issuer.PRACTICE and (
        practice.country == "IT" or profile.id is not None
    )


def check_partita_iva(value: str) -> str:
    """The partita IVA in its 11-digit form, or FiscalRefused on a wrong checksum."""
    try:
        return iva.validate(value)
    except ValidationError as exc:
        raise FiscalRefused(_l("This partita IVA is not valid: check the 11 digits.")) from exc


def check_codice_fiscale(value: str) -> str:
    """The codice fiscale (16 characters, or 11 digits for a company), upper case."""
    try:
        compact = codicefiscale.compact(value)
        return iva.validate(compact) if compact.isdigit() else codicefiscale.validate(compact)
    except ValidationError as exc:
        raise FiscalRefused(
            _l("This codice fiscale is not valid: check it and try again.")
        ) from exc


def check_ein(value: str) -> str:
    """The EIN as "12-3456789"."""
    try:
        return ein.format(ein.validate(value))
    except ValidationError as exc:
        raise FiscalRefused(_l("This EIN is not valid: it has 9 digits, e.g. 12-3456789.")) from exc


def check_npi(value: str) -> str:
    """A 10-digit NPI whose check digit is right: the Luhn formula over "80840" and the
    number (CMS, NPI check digit standard, ISO 7812)."""
    digits = "".join(value.split())
    if not (len(digits) == 10 and digits.isdigit() and luhn.is_valid("80840" + digits)):
        raise FiscalRefused(_l("This NPI is not valid: it has 10 digits and a check digit."))
    return digits


@dataclass
class ProfileInput:
    issuer: str
    legal_name: str = ""
    fiscal_address: str = ""
    partita_iva: str = ""
    codice_fiscale: str = ""
    regime: str = ""
    albo: str = ""
    stamp_charged_to_patient: bool = False
    stamp_authorization: str = ""
    ein: str = ""
    npi: str = ""


def _optional(value: str, check) -> str | None:
    value = (value or "").strip()
    return check(value) if value else None


def save(practice: Practice, data: ProfileInput) -> FiscalProfile:
    """Validate and store the profile (the caller audits and commits). Saldo may issue the
    Italian documents only with a partita IVA, codice fiscale and address."""
    if data.issuer not in ISSUERS:
        raise FiscalRefused(_l("Choose who issues the fiscal documents."))
    partita_iva = _optional(data.partita_iva, check_partita_iva)
    codice = _optional(data.codice_fiscale, check_codice_fiscale)
    tax_id = _optional(data.ein, check_ein)
    npi = _optional(data.npi, check_npi)
    address = (data.fiscal_address or "").strip() or None
    if (
        data.issuer == Issuer.SALDO
        and practice.country == "IT"
        and not (partita_iva and codice and address)
    ):
        raise FiscalRefused(
            _l("To let Saldo issue invoices, enter the partita IVA, codice fiscale and address.")
        )
    profile = profile_of(practice)
    if data.issuer == Issuer.SALDO and (
        profile.issuer != Issuer.SALDO or profile.issuing_since is None
    ):
        profile.issuing_since = utcnow()
    profile.issuer = data.issuer
    profile.legal_name = (data.legal_name or "").strip() or None
    profile.fiscal_address = address
    profile.partita_iva, profile.codice_fiscale = partita_iva, codice
    profile.regime = (data.regime or "").strip() or None
    profile.albo = (data.albo or "").strip() or None
    profile.stamp_charged_to_patient = bool(data.stamp_charged_to_patient)
    profile.stamp_authorization = (data.stamp_authorization or "").strip() or None
    profile.ein, profile.npi = tax_id, npi
    db.session.add(profile)
    db.session.flush()
    return profile
