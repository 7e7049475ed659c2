"""The hourly cadence run (`cadence.run_at`) on each patient's own day: the courtesy email
of an invoice due on 1 December 2026 is for 28 November in the patient's zone."""

from datetime import date, datetime

from portal.extensions import db
from portal.models import ReminderLog
from portal.services.collections import cadence
from tests import factories
from tests.services.collections.test_cadence import a_patient, mail, twilio  # noqa: F401

COURTESY = date(2026, 11, 28)


def invoices(*zones: str) -> dict[str, int]:
    practice = factories.practice()  # in Rome
    found = {}
    for n, zone in enumerate(zones, 1):
        patient = a_patient(practice, timezone=zone, email=f"p{n}@example.org")
        found[zone] = factories.invoice(patient, number=f"2026-{n:04d}").id
    db.session.commit()
    return found


def sent() -> list[tuple[int, date]]:
    rows = db.session.scalars(db.select(ReminderLog).order_by(ReminderLog.id))
    return [(r.invoice_id, r.sent_on) for r in rows]


def test_the_day_furthest_ahead_comes_first(app, mail, twilio):  # noqa: F811
    ids = invoices("Pacific/Kiritimati", "America/New_York")
    # 18:00 UTC on 27 November is 08:00 on the 28th at UTC+14, 13:00 on the 27th in New York
    report = cadence.run_at(datetime(2026, 11, 27, 18, 0))
    assert (report.emails, report.waiting) == (1, 0)
    assert sent() == [(ids["Pacific/Kiritimati"], COURTESY)]
    assert [m["To"] for m in mail.messages] == ["p1@example.org"]


def test_past_midnight_in_rome_the_day_has_come_but_waits_for_eight(app, mail, twilio):  # noqa: F811
    invoices("Europe/Rome", "America/New_York")
    # 23:30 UTC on the 27th: 00:30 on the 28th in Rome (quiet hours), 18:30 on the 27th in
    # New York (its day has not come)
    report = cadence.run_at(datetime(2026, 11, 27, 23, 30))
    assert (report.emails, report.waiting) == (0, 1)
    # 03:00 UTC on the 28th is still the 27th in New York (22:00): Rome's email still waits
    report = cadence.run_at(datetime(2026, 11, 28, 3, 0))
    assert (report.emails, report.waiting) == (0, 1)
    assert sent() == []


def test_each_patient_is_written_to_on_their_own_day(app, mail, twilio):  # noqa: F811
    ids = invoices("Europe/Rome", "America/New_York")
    assert cadence.run_at(datetime(2026, 11, 28, 7, 0)).emails == 1  # 08:00 in Rome
    assert cadence.run_at(datetime(2026, 11, 28, 13, 0)).emails == 1  # 08:00 in New York
    assert sent() == [
        (ids["Europe/Rome"], COURTESY),
        (ids["America/New_York"], COURTESY),
    ]
