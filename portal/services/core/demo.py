"""A demo practice in Italy and one in the US, each with invoices for an English- and an
Italian-speaking patient, so a newcomer can pay in both languages straight away."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from portal.clock import practice_today
from portal.extensions import db
from portal.models import Invoice, Patient, PlanPolicy, Practice, StaffUser
from portal.models.staff import Role
from portal.services.access import links
from portal.services.billing import invoices
from portal.services.billing.invoices import LineInput
from portal.services.core.audit import SYSTEM
from portal.services.practice import staff_auth


@dataclass(frozen=True)
class DemoLink:
    practice: str
    patient: str
    language: str
    date_of_birth: date
    invoice_number: str
    token: str


PRACTICES = [
    dict(
        slug="studio-rossi",
        name="Studio Dentistico Rossi",
        country="IT",
        currency="EUR",
        default_locale="it",
        timezone="Europe/Rome",
        email="segreteria@studiorossi.example",
        phone="+39 06 5550 1234",
        address="Via del Corso 12, 00186 Roma RM",
    ),
    dict(
        slug="maple-family-dental",
        name="Maple Family Dental",
        country="US",
        currency="USD",
        default_locale="en",
        timezone="America/New_York",
        email="billing@maplefamilydental.example",
        phone="+1 212 555 0142",
        address="120 Maple Ave, Brooklyn, NY 11201",
    ),
]

PATIENTS = {
    "studio-rossi": [
        ("Giulia", "Bianchi", date(1984, 3, 9), "it"),
        ("Emma", "Walker", date(1990, 11, 23), "en"),
    ],
    "maple-family-dental": [
        ("John", "Miller", date(1978, 6, 14), "en"),
        ("Marco", "Esposito", date(1965, 1, 30), "it"),
    ],
}

#: (procedure code, description, charged, insurance paid, adjustment). Each practice shows
#: its own codes: the US practice the dental CDT codes, the Italian one the codes of its own
#: price list (listino), as Italian private dental practices do
LINES = {
    "IT": [
        ("IGI.01", "Igiene orale professionale (ablazione del tartaro)", 9000, 0, 0),
        ("CON.02", "Otturazione in composito, due superfici", 14000, 0, 1500),
        ("RAD.01", "Radiografia endorale", 6000, 0, 0),
    ],
    "US": [
        ("D0150", "Comprehensive oral evaluation", 12500, 8000, 1000),
        ("D1110", "Prophylaxis, adult", 14000, 11200, 0),
        ("D2740", "Crown, porcelain/ceramic", 145000, 72500, 18000),
    ],
}


DEMO_PASSWORD = "saldo-demo-password"  # noqa: S105 (printed by `flask demo` on purpose)


@dataclass(frozen=True)
class DemoLogin:
    practice: str
    email: str
    password: str


def staff_logins() -> list[DemoLogin]:
    """An owner account per demo practice (created once), with the demo password (the
    caller commits, as do `seed` and `seed_overdue`)."""
    result = []
    for values in PRACTICES:
        practice = db.session.scalar(db.select(Practice).filter_by(slug=values["slug"]))
        email = f"owner@{values['slug']}.example"
        if db.session.scalar(db.select(StaffUser).filter_by(email=email)) is None:
            name = "Dott.ssa Laura Rossi" if practice.country == "IT" else "Dr. Sarah Maple"
            staff_auth.create_staff(
                practice, email, name, DEMO_PASSWORD, Role.OWNER, practice.default_locale
            )
        result.append(DemoLogin(practice.name, email, DEMO_PASSWORD))
    return result


def seed(now: datetime | None = None) -> list[DemoLink]:
    """Create (or reuse) the demo practices and patients, add one invoice each, issue links;
    dates are counted from each practice's calendar day at `now` (naive UTC, default: the
    clock)."""
    result = []
    for values in PRACTICES:
        practice = db.session.scalar(db.select(Practice).filter_by(slug=values["slug"]))
        if practice is None:
            practice = Practice(**values)
            db.session.add(practice)
            db.session.flush()
            db.session.add(PlanPolicy(practice_id=practice.id, allowed_counts="3,6,10,12"))
        today = practice_today(practice, now)
        for first, last, born, language in PATIENTS[practice.slug]:
            patient = _patient(practice, first, last, born, language)
            invoice = invoices.create_invoice(
                patient,
                number=_next_number(practice, today),
                issued_on=today - timedelta(days=12),
                due_on=today + timedelta(days=18),
                lines=_lines(practice.country, today),
                actor=SYSTEM,
            )
            _, token = links.issue(invoice, SYSTEM)
            result.append(
                DemoLink(practice.name, patient.full_name, language, born, invoice.number, token)
            )
    return result


#: (first, last, born, language, days past due, amount) of the overdue demo invoices
OVERDUE = {
    "studio-rossi": [
        ("Paolo", "Ferrari", date(1971, 5, 2), "it", 12, 18000),
        ("Sara", "Conti", date(1988, 9, 17), "it", 45, 32000),
        ("Luca", "Romano", date(1959, 2, 8), "it", 80, 9500),
        ("Anna", "Ricci", date(1993, 12, 1), "it", 110, 45000),
        ("Oliver", "Smith", date(1982, 7, 21), "en", 160, 27000),
    ],
    "maple-family-dental": [
        ("Emily", "Johnson", date(1986, 4, 11), "en", 20, 24000),
        ("Michael", "Brown", date(1975, 8, 30), "en", 50, 61000),
        ("Giorgio", "Marino", date(1968, 11, 5), "it", 95, 38000),
        ("Jessica", "Davis", date(1990, 3, 14), "en", 130, 15500),
    ],
}


def seed_overdue(now: datetime | None = None) -> int:
    """Overdue invoices of several ages, so the reports and reminders have work to show;
    their ages are counted from each practice's calendar day at `now`."""
    count = 0
    for values in PRACTICES:
        practice = db.session.scalar(db.select(Practice).filter_by(slug=values["slug"]))
        today = practice_today(practice, now)
        for first, last, born, language, late, amount in OVERDUE[practice.slug]:
            patient = _patient(practice, first, last, born, language)
            due = today - timedelta(days=late)
            line = LineInput(
                service_date=due - timedelta(days=35),
                description="Visita di controllo" if practice.country == "IT" else "Periodic exam",
                charged_minor=amount,
                procedure_code="VIS.02" if practice.country == "IT" else "D0120",
            )
            invoices.create_invoice(
                patient,
                number=_next_number(practice, today),
                issued_on=due - timedelta(days=30),
                due_on=due,
                lines=[line],
                actor=SYSTEM,
            )
            count += 1
    return count


def _patient(practice: Practice, first: str, last: str, born: date, language: str) -> Patient:
    patient = db.session.scalar(
        db.select(Patient).filter_by(practice_id=practice.id, first_name=first, last_name=last)
    )
    if patient is None:
        email = f"{first}.{last}@patients.example".lower()
        patient = Patient(
            practice_id=practice.id,
            first_name=first,
            last_name=last,
            date_of_birth=born,
            email=email,
            phone="+39333" + f"{born:%d%m%Y}"[:7]
            if practice.country == "IT"
            else "+1212555" + f"{born:%m%d}",
            sms_consent=True,
            locale=language,
        )
        db.session.add(patient)
        db.session.flush()
    return patient


def _lines(country: str, today: date) -> list[LineInput]:
    return [
        LineInput(
            service_date=today - timedelta(days=20 - i * 3),
            procedure_code=code,
            description=text,
            charged_minor=charged,
            insurance_paid_minor=insurance,
            adjustment_minor=adjustment,
        )
        for i, (code, text, charged, insurance, adjustment) in enumerate(LINES[country])
    ]


def _next_number(practice: Practice, today: date) -> str:
    count = db.session.scalar(
        db.select(db.func.count()).select_from(Invoice).filter_by(practice_id=practice.id)
    )
    return f"{today.year}-{count + 1:04d}"
