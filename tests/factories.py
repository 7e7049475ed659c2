"""Test data: practices, patients and invoices through the real services."""

import itertools
from datetime import date, timedelta

from portal.extensions import db
from portal.models import Patient, Practice
from portal.services.access import links
from portal.services.billing import invoices
from portal.services.billing.invoices import LineInput
from portal.services.core.audit import SYSTEM

ITALY = dict(country="IT", currency="EUR", default_locale="it", timezone="Europe/Rome")
USA = dict(country="US", currency="USD", default_locale="en", timezone="America/New_York")


_slugs = itertools.count(1)


def practice(slug=None, name="Studio Dentistico Rossi", **kwargs) -> Practice:
    slug = slug or f"studio-{next(_slugs)}"
    values = {**ITALY, "phone": "+39 06 5550 1234", "email": "info@studio.example", **kwargs}
    practice = Practice(slug=slug, name=name, **values)
    db.session.add(practice)
    db.session.flush()
    return practice


def patient(practice: Practice, **kwargs) -> Patient:
    values = dict(
        first_name="Giulia",
        last_name="Bianchi",
        date_of_birth=date(1984, 3, 9),
        email="giulia@example.org",
        locale="it",
    )
    values.update(kwargs)
    patient = Patient(practice_id=practice.id, **values)
    db.session.add(patient)
    db.session.flush()
    return patient


def invoice(patient: Patient, amounts=(12000, 3450), number="2026-0001", **kwargs):
    today = kwargs.pop("today", date(2026, 11, 1))
    lines = [
        LineInput(
            service_date=today - timedelta(days=7),
            description=f"Treatment {i}",
            charged_minor=amount,
            procedure_code=f"D{1000 + i}",
        )
        for i, amount in enumerate(amounts, start=1)
    ]
    result = invoices.create_invoice(
        patient,
        number=number,
        issued_on=today,
        due_on=today + timedelta(days=30),
        lines=lines,
        actor=SYSTEM,
        **kwargs,
    )
    db.session.commit()
    return result


def invoice_with_link(amounts=(12000, 3450), **patient_kwargs):
    """A practice, patient and open invoice with a live link; returns (invoice, token)."""
    p = practice()
    inv = invoice(patient(p, **patient_kwargs), amounts)
    _, token = links.issue(inv, SYSTEM)
    db.session.commit()
    return inv, token
