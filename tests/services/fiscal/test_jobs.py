"""The fiscal step of `jobs run-due`: each payment's health invoice dated the later of the run's
day and the payment's own day in the practice's zone (numbered in that year), and last
month's Sistema TS reminder to the practices the calendar names, each once."""

from datetime import date, datetime

import pytest

from portal.extensions import db
from portal.models import Delivery, FiscalDocument, StsReminder
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import documents, jobs
from tests import factories
from tests import fiscal_factories as ff
from tests.web.staff_client import make_staff

#: nothing here differs by database
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def reminded_to() -> list[tuple[str, dict]]:
    rows = db.session.scalars(
        db.select(Delivery).filter_by(purpose="sts_reminder").order_by(Delivery.id)
    )
    return [(d.recipient, d.payload["month"]) for d in rows]


def test_a_payment_after_midnight_in_rome_is_invoiced_in_the_new_year(app):
    practice = ff.italian_practice()
    patient = ff.patient_with_cf(practice)
    # 23:30 and 00:30 in Rome (naive UTC): either side of the new year there
    late_evening = ff.paid(
        factories.invoice(patient, (5000,), number="A-1"), 5000, at=datetime(2026, 12, 31, 22, 30)
    )
    after_midnight = ff.paid(
        factories.invoice(patient, (7000,), number="A-2"), 7000, at=datetime(2026, 12, 31, 23, 30)
    )
    assert jobs.run(date(2026, 12, 31), {}) == (2, 0)
    evening, night = documents.of_payment(late_evening), documents.of_payment(after_midnight)
    assert (evening.label, evening.issued_on, evening.paid_on, evening.amount_minor) == (
        "1/2026",
        date(2026, 12, 31),
        date(2026, 12, 31),
        5000,
    )
    assert (night.label, night.issued_on, night.paid_on, night.amount_minor) == (
        "1/2027",
        date(2027, 1, 1),
        date(2027, 1, 1),
        7000,
    )
    # a later run's day dates what it issues; what was issued stays as it is
    assert jobs.run(date(2027, 1, 9), {}) == (0, 0)
    assert db.session.scalar(db.select(db.func.count(FiscalDocument.id))) == 2


def test_a_refund_gets_its_credit_note_on_a_later_run_once(app):
    practice = ff.italian_practice()
    payment = ff.paid(factories.invoice(ff.patient_with_cf(practice), (9000,)), 9000)
    assert jobs.run(date(2027, 1, 9), {}) == (1, 0)
    refund = ff.refunded(payment, 2500, at=datetime(2027, 1, 10, 8))
    assert jobs.run(date(2027, 1, 12), {}) == (1, 0)
    assert jobs.run(date(2027, 1, 12), {}) == (0, 0)
    note = documents.of_refund(refund)
    assert (note.kind, note.label, note.issued_on, note.paid_on, note.amount_minor) == (
        "credit_note",
        "NC 1/2027",
        date(2027, 1, 12),
        date(2027, 1, 10),
        2500,
    )
    assert note.corrects_id == documents.of_payment(payment).id


def test_sistema_ts_reminders_reach_the_practices_on_the_calendar_once_a_month(app):
    rossi = ff.italian_practice(slug="studio-rossi")
    verdi = ff.italian_practice(slug="studio-verdi")
    quiet = ff.italian_practice(slug="studio-quiet")  # no document in January
    for practice in (rossi, verdi, quiet):
        make_staff(practice, "owner", locale="it")
    for practice in (rossi, verdi):
        payment = ff.paid(factories.invoice(ff.patient_with_cf(practice), (5000,)), 5000)
        documents.issue_invoice(payment, SYSTEM, today=date(2027, 1, 20))
    db.session.commit()

    # the calendar names Rossi on 1 and 2 February: January's reminder goes once
    calendar = {date(2027, 2, 1): [rossi.id], date(2027, 2, 2): [rossi.id]}
    assert jobs.run(date(2027, 2, 2), calendar) == (0, 1)
    assert reminded_to() == [("owner-studio-rossi@example.org", "2027-01")]
    # every practice (None): only Verdi is still owed January's
    assert jobs.run(date(2027, 2, 2), {date(2027, 2, 2): None}) == (0, 1)
    assert jobs.run(date(2027, 2, 3), {date(2027, 2, 3): None}) == (0, 0)
    assert reminded_to() == [
        ("owner-studio-rossi@example.org", "2027-01"),
        ("owner-studio-verdi@example.org", "2027-01"),
    ]
    claimed = db.session.scalars(db.select(StsReminder.practice_id).order_by(StsReminder.month))
    assert sorted(claimed) == sorted([rossi.id, verdi.id])
    # in January the month before (December) had no documents: nothing to remind
    assert jobs.run(date(2027, 1, 31), {date(2027, 1, 31): None}) == (0, 0)
