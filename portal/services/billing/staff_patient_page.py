"""Everything the staff patient page shows, read in a fixed number of statements: the
patient's invoices, newest first; the latest consent records; and, for a practice whose
Italian health invoices Saldo issues, the patient's codice fiscale. Forms stay with the view.
"""

from dataclasses import dataclass

from portal.extensions import db
from portal.models import ConsentRecord, Invoice, Patient, Practice
from portal.services.collections import preferences
from portal.services.fiscal import profile, tax_ids


@dataclass(frozen=True)
class PatientFiscal:
    """The codice fiscale section (templates/fiscal/_staff_patient.html)."""

    #: Saldo issues this Italian practice's health invoices
    italy: bool
    codice_fiscale: str | None


@dataclass(frozen=True)
class StaffPatientPage:
    patient: Patient
    practice: Practice
    #: newest first
    invoices: list[Invoice]
    #: newest first, the latest `preferences.history` gives
    consent_history: list[ConsentRecord]
    fiscal: PatientFiscal


def build(patient: Patient) -> StaffPatientPage:
    """The staff page of `patient`."""
    practice = patient.practice
    italy = profile.saldo_issues(practice)
    query = db.select(Invoice).filter_by(patient_id=patient.id).order_by(Invoice.id.desc())
    return StaffPatientPage(
        patient=patient,
        practice=practice,
        invoices=list(db.session.scalars(query)),
        consent_history=preferences.history(patient),
        fiscal=PatientFiscal(italy, tax_ids.codice_fiscale_of(patient) if italy else None),
    )
