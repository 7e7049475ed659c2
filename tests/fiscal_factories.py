"""Test data for fiscal documents: Italian and US practices with their fiscal profiles,
patients with a codice fiscale, desk payments and refunds through the real services."""

from datetime import datetime

from portal.extensions import db
from portal.services.billing import money
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import profile, tax_ids
from tests import factories

PARTITA_IVA = "07654320584"
PRACTICE_CF = "RSSMRA70A01H501S"
PATIENT_CF = "BNCGLI84C49H501F"
OTHER_PATIENT_CF = "VRDLCU90A01F205L"
EIN = "12-3456789"
NPI = "1234567893"


def italian_practice(stamp_charged=False, since=datetime(2020, 1, 1), **kwargs):
    practice = factories.practice(**kwargs)
    saved = profile.save(
        practice,
        profile.ProfileInput(
            issuer="saldo",
            legal_name="Dott. Mario Rossi",
            fiscal_address="Via Appia Nuova 12\n00183 Roma RM",
            partita_iva=PARTITA_IVA,
            codice_fiscale=PRACTICE_CF,
            regime="RF01 ordinario",
            albo="Ordine dei Medici Chirurghi e degli Odontoiatri di Roma n. 12345",
            stamp_charged_to_patient=stamp_charged,
            stamp_authorization="n. 2020/123456 del 10/01/2020, Agenzia delle Entrate di Roma",
        ),
    )
    saved.issuing_since = since
    db.session.commit()
    return practice


def us_practice(**kwargs):
    practice = factories.practice(
        name="Bright Smiles Dental", **{**factories.USA, "phone": "+1 212 555 0100", **kwargs}
    )
    profile.save(
        practice,
        profile.ProfileInput(
            issuer="saldo",
            legal_name="Bright Smiles Dental PLLC",
            fiscal_address="350 Fifth Avenue, Suite 200\nNew York, NY 10118",
            ein=EIN,
            npi=NPI,
        ),
    )
    db.session.commit()
    return practice


def patient_with_cf(practice, codice=PATIENT_CF, **kwargs):
    patient = factories.patient(practice, **kwargs)
    if codice:
        tax_ids.set_codice_fiscale(patient, codice, "staff", SYSTEM)
    db.session.commit()
    return patient


def paid(invoice, amount_minor, method="card_terminal", at=None):
    """A desk payment of `amount_minor` on `invoice`, received at `at` (naive UTC)."""
    payment = money.record_desk_payment(invoice, amount_minor, method, SYSTEM)
    if at is not None:
        payment.succeeded_at = at
        db.session.commit()
    return payment


def refunded(payment, amount_minor, at=None):
    refund = money.refund(payment, amount_minor, "Treatment not done", SYSTEM)
    if at is not None:
        refund.created_at = at
        db.session.commit()
    return refund
