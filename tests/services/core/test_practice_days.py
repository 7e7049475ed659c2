"""The periodic run on each practice's own calendar day: at 23:30 UTC on 1 December a practice
in Europe/Rome is on 2 December, one in America/New_York still on 1 December."""

from datetime import date, datetime, time, timedelta

import pytest

from portal.extensions import db
from portal.gateways.mail import SMTPMailer
from portal.models import CallTask, Installment, InstallmentReminder, Plan
from portal.services.core import jobs
from tests import factories

NOW = datetime(2026, 12, 1, 23, 30)
ROME_DAY, NEW_YORK_DAY = date(2026, 12, 2), date(2026, 12, 1)


@pytest.fixture
def mailed_app(app, smtp):
    app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    return app


def practice_pair():
    rome = factories.practice(name="Studio Roma")
    new_york = factories.practice(name="Maple Dental", **factories.USA)
    return rome, new_york


def plan_due(practice, due_on: date) -> Installment:
    """A running plan whose first monthly installment is due on `due_on` (no Stripe needed:
    only the reminder of the upcoming charge is looked at)."""
    patient = factories.patient(practice, email=f"{practice.slug}@example.org")
    invoice = factories.invoice(patient, amounts=(60000,), number=f"{practice.slug}-1")
    plan = Plan(
        practice_id=practice.id,
        invoice_id=invoice.id,
        patient_id=patient.id,
        status="active",
        currency=practice.currency,
        total_minor=60000,
        down_payment_minor=20000,
        installment_count=2,
        amount_financed_minor=40000,
        agreement_version="test",
        language=patient.locale,
    )
    db.session.add(plan)
    db.session.flush()
    paid = Installment(plan_id=plan.id, sequence=0, due_on=due_on - timedelta(days=30))
    paid.amount_minor, paid.status = 20000, "paid"
    first = Installment(plan_id=plan.id, sequence=1, due_on=due_on, amount_minor=20000)
    second = Installment(
        plan_id=plan.id, sequence=2, due_on=due_on + timedelta(days=30), amount_minor=20000
    )
    db.session.add_all([paid, first, second])
    db.session.commit()
    return first


def reminded(*installments: Installment) -> list[tuple[int, date]]:
    rows = db.session.scalars(db.select(InstallmentReminder).order_by(InstallmentReminder.id))
    ids = {i.id: n for n, i in enumerate(installments)}
    return [(ids[r.installment_id], r.sent_on) for r in rows]


def test_the_calendar_puts_each_practice_on_its_own_day(app):
    rome, new_york = practice_pair()
    db.session.commit()
    assert jobs.calendar(None, NOW) == {NEW_YORK_DAY: [new_york.id], ROME_DAY: [rome.id]}
    assert jobs.calendar(date(2027, 1, 5), NOW) == {date(2027, 1, 5): None}
    # earlier in the evening both are on 1 December
    assert jobs.calendar(None, datetime(2026, 12, 1, 22, 30)) == {
        NEW_YORK_DAY: [rome.id, new_york.id]
    }


def test_an_upcoming_charge_is_announced_on_the_practice_s_day(mailed_app, smtp):
    rome, new_york = practice_pair()
    # both due on 5 December: told three days ahead, on the practice's 2 December
    in_rome = plan_due(rome, date(2026, 12, 5))
    in_new_york = plan_due(new_york, date(2026, 12, 5))

    report = jobs.run_due(now=NOW)

    assert report.reminded == 1
    assert reminded(in_rome, in_new_york) == [(0, ROME_DAY)]
    assert [m["To"] for m in smtp.messages] == [f"{rome.slug}@example.org"]

    # at 05:30 UTC New York is on 2 December too (and Rome is not told twice)
    report = jobs.run_due(now=NOW + timedelta(hours=6))
    assert report.reminded == 1
    assert reminded(in_rome, in_new_york) == [(0, ROME_DAY), (1, ROME_DAY)]


def test_as_of_a_day_is_that_day_for_every_practice(mailed_app, smtp):
    rome, new_york = practice_pair()
    in_rome = plan_due(rome, date(2026, 12, 5))
    in_new_york = plan_due(new_york, date(2026, 12, 5))

    report = jobs.run_due(date(2026, 12, 2), time(12, 0), now=NOW)

    assert report.reminded == 2
    assert reminded(in_rome, in_new_york) == [(0, ROME_DAY), (1, ROME_DAY)]


def test_the_cadence_step_runs_on_the_practice_s_day(mailed_app, smtp):
    """`run-due --at 12:00` without `--as-of`: the call step 7 days after the due date is
    taken on each practice's own day."""
    rome, new_york = practice_pair()
    due = date(2026, 11, 25)  # the call step is on 2 December
    for practice in (rome, new_york):
        patient = factories.patient(practice, phone="+39 333 555 0101")
        factories.invoice(patient, number=f"{practice.slug}-1", today=due - timedelta(days=30))

    report = jobs.run_due(None, time(12, 0), now=NOW)

    tasks = db.session.scalars(db.select(CallTask)).all()
    assert [(t.practice_id, t.due_on) for t in tasks] == [(rome.id, ROME_DAY)]
    assert report.call_tasks == 1

    jobs.run_due(None, time(12, 0), now=NOW + timedelta(hours=6))
    tasks = db.session.scalars(db.select(CallTask).order_by(CallTask.id)).all()
    assert [(t.practice_id, t.due_on) for t in tasks] == [
        (rome.id, ROME_DAY),
        (new_york.id, ROME_DAY),
    ]
