"""Call tasks: the queue with its scripts, recording outcomes, and promises not kept."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import AuditEvent, CallTask, CollectionState, PlanPolicy
from portal.services.billing import money
from portal.services.collections import calls, holds
from portal.services.collections.calls import CallRefused
from portal.services.core import audit
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.web.staff_client import make_staff

TODAY = date(2026, 12, 15)  # the factory's invoices fell due on 1 December 2026


def call_task(invoice, due_on=date(2026, 12, 10), position=3) -> CallTask:
    task = CallTask(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        due_on=due_on,
        position=position,
    )
    db.session.add(task)
    db.session.commit()
    return task


@pytest.fixture
def setup(app):
    """An Italian practice, its billing user, an Italian patient owing €154.50, a call task."""
    practice = factories.practice()
    staff = make_staff(practice, "billing")
    patient = factories.patient(practice, phone="+39 333 123 4567")
    invoice = factories.invoice(patient)
    return practice, staff, invoice, call_task(invoice)


def actions(invoice_id: int) -> list[str]:
    return [event.action for event in audit.timeline(invoice_id)]


def test_queue_lists_due_tasks_oldest_first_with_balance_and_days_past_due(setup):
    practice, _staff, invoice, task = setup
    other = factories.invoice(
        factories.patient(practice, first_name="Emma", last_name="Rossi", locale="en"),
        amounts=(5000,),
        number="2026-0002",
    )
    older = call_task(other, due_on=date(2026, 12, 5))
    call_task(other, due_on=date(2026, 12, 16))  # not due yet
    done = call_task(invoice, due_on=date(2026, 12, 1))
    done.status = "done"
    other_practice = factories.practice(slug="elsewhere")
    call_task(factories.invoice(factories.patient(other_practice)), due_on=date(2026, 12, 1))
    db.session.commit()

    items = calls.queue(practice, TODAY, "Marta")
    assert [item.task.id for item in items] == [older.id, task.id]
    first, second = items
    assert (first.balance_minor, first.days_past_due, first.language) == (5000, 14, "en")
    assert (second.balance_minor, second.days_past_due, second.language) == (15450, 14, "it")
    assert second.phone_uri == "tel:+393331234567"
    assert second.patient.full_name == "Giulia Bianchi"


def test_the_script_is_in_the_patients_language_without_care_details(setup):
    practice, _staff, _invoice, _task = setup
    english = factories.patient(practice, first_name="Emma", last_name="Rossi", locale="en")
    call_task(factories.invoice(english, amounts=(5000,), number="2026-0002"))
    items = {item.language: item for item in calls.queue(practice, TODAY, "Marta")}

    text = str(items["en"].script)
    assert "Hello, this is Marta calling from Studio Dentistico Rossi." in text
    assert "May I speak with Emma Rossi?" in text
    assert "€50.00 is still to be paid; it was due on December 1, 2026." in text
    assert "private link" in text
    assert "monthly payments" not in text  # the practice has no plan policy
    assert "Treatment" not in text and "D100" not in text

    italian = str(items["it"].script)
    assert "154,50\xa0€" in italian
    assert "1 dicembre 2026" in italian
    assert "Treatment" not in italian and "D100" not in italian


def test_the_script_offers_a_plan_when_the_policy_allows_one(setup):
    practice, _staff, invoice, _task = setup
    db.session.add(
        PlanPolicy(practice_id=practice.id, min_balance_minor=0, min_installment_minor=100)
    )
    invoice.patient.locale = "en"
    db.session.commit()
    [item] = calls.queue(practice, TODAY)
    assert "Hello, I am calling from Studio Dentistico Rossi." in str(item.script)
    assert "spread the amount over monthly payments" in str(item.script)


def test_tasks_of_paid_or_held_invoices_leave_the_queue(setup):
    practice, _staff, invoice, _task = setup
    holds.set_hold(invoice, "hold", "Insurance claim pending", SYSTEM)
    db.session.commit()
    assert calls.queue(practice, TODAY) == []
    holds.release(invoice, "Claim paid", SYSTEM)
    db.session.commit()
    assert len(calls.queue(practice, TODAY)) == 1
    money.record_desk_payment(invoice, 15450, "cash", SYSTEM)
    assert calls.queue(practice, TODAY) == []


@pytest.mark.parametrize("outcome", ["reached", "voicemail"])
def test_simple_outcomes_close_the_task(setup, outcome):
    practice, staff, invoice, task = setup
    calls.record_outcome(task, outcome, staff, "  Will call back  ", ip_address="10.0.0.7")
    db.session.commit()
    assert (task.status, task.outcome, task.note, task.staff_id) == (
        "done",
        outcome,
        "Will call back",
        staff.id,
    )
    assert task.completed_at is not None
    assert task.promise_on is None and task.promise_amount_minor is None
    event = db.session.scalars(db.select(AuditEvent).filter_by(action=f"call.{outcome}")).one()
    assert (event.invoice_id, event.actor_kind, event.actor_ref, event.ip_address) == (
        invoice.id,
        "staff",
        str(staff.id),
        "10.0.0.7",
    )
    assert event.data == {"task_id": task.id, "note": "Will call back"}
    assert calls.queue(practice, TODAY) == []


def test_a_promise_records_date_amount_and_balance(setup):
    _practice, staff, invoice, task = setup
    calls.record_outcome(task, "promise", staff, None, date(2026, 12, 20), 5000, today=TODAY)
    db.session.commit()
    assert (task.outcome, task.promise_on, task.promise_amount_minor) == (
        "promise",
        date(2026, 12, 20),
        5000,
    )
    [event] = [e for e in audit.timeline(invoice.id) if e.action == "call.promise"]
    assert event.data == {
        "task_id": task.id,
        "note": None,
        "promise_on": "2026-12-20",
        "promise_amount_minor": 5000,
        "balance_minor": 15450,
    }


def test_a_promise_for_today_and_the_whole_balance_is_fine(setup):
    _practice, staff, _invoice, task = setup
    calls.record_outcome(task, "promise", staff, "", TODAY, None, today=TODAY)
    assert (task.promise_on, task.promise_amount_minor, task.note) == (TODAY, None, None)


@pytest.mark.parametrize(
    ("promise_on", "amount", "message"),
    [
        (None, 5000, "Enter the date the patient promised to pay by."),
        (date(2026, 12, 14), 5000, "The promised date cannot be in the past."),
        (date(2026, 12, 20), 15451, "The amount is more than the balance."),
        (date(2026, 12, 20), 0, "Enter an amount greater than zero."),
        (date(2026, 12, 20), -100, "Enter an amount greater than zero."),
    ],
)
def test_a_promise_is_validated(setup, promise_on, amount, message):
    _practice, staff, invoice, task = setup
    with pytest.raises(CallRefused) as refused:
        calls.record_outcome(task, "promise", staff, None, promise_on, amount, today=TODAY)
    assert str(refused.value) == message
    db.session.rollback()
    assert task.status == "open" and task.outcome is None
    assert not [a for a in actions(invoice.id) if a.startswith("call.")]


def test_other_refusals(setup):
    _practice, staff, _invoice, task = setup
    with pytest.raises(CallRefused, match=r"Choose what came of the call\."):
        calls.record_outcome(task, "hung_up", staff, None)
    with pytest.raises(CallRefused, match="only go with a promise"):
        calls.record_outcome(task, "reached", staff, None, date(2026, 12, 20))
    with pytest.raises(CallRefused, match="500 characters"):
        calls.record_outcome(task, "reached", staff, "x" * 501)
    with pytest.raises(ValueError, match="another practice"):
        calls.record_outcome(task, "reached", make_staff(factories.practice(slug="b")), None)
    calls.record_outcome(task, "reached", staff, None)
    with pytest.raises(CallRefused, match="already been recorded"):
        calls.record_outcome(task, "voicemail", staff, None)


def test_a_dispute_puts_the_invoice_in_dispute(setup):
    _practice, staff, invoice, task = setup
    with pytest.raises(CallRefused, match="what the patient disputes"):
        calls.record_outcome(task, "dispute", staff, " ")
    calls.record_outcome(task, "dispute", staff, "Says the crown was covered by insurance")
    db.session.commit()
    state = db.session.get(CollectionState, invoice.id)
    assert (state.hold, state.hold_note) == ("dispute", "Says the crown was covered by insurance")
    assert actions(invoice.id)[-2:] == ["hold.set", "call.dispute"]
    assert task.outcome == "dispute"


def test_a_wrong_number_is_recorded_with_the_number(setup):
    _practice, staff, _invoice, task = setup
    calls.record_outcome(task, "wrong_number", staff, "A bakery answered")
    db.session.commit()
    event = db.session.scalars(db.select(AuditEvent).filter_by(action="call.wrong_number")).one()
    assert event.data == {
        "task_id": task.id,
        "note": "A bakery answered",
        "phone": "+39 333 123 4567",
    }
    assert task.status == "done"


def promise(setup, on=date(2026, 12, 20), amount=5000):
    _practice, staff, _invoice, task = setup
    calls.record_outcome(task, "promise", staff, None, on, amount, today=TODAY)
    db.session.commit()
    return task


def missed_events() -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).filter_by(action="promise.missed")))


def test_a_missed_promise_is_found_once(setup):
    task = promise(setup)
    assert calls.missed_promises(date(2026, 12, 20)) == []  # the promised day itself
    money.record_desk_payment(task.invoice, 4999, "cash", SYSTEM)  # one cent short
    assert calls.missed_promises(date(2026, 12, 21)) == [task]
    db.session.commit()
    assert calls.missed_promises(date(2026, 12, 22)) == [task]
    assert calls.missed_promises(date(2026, 12, 22), only_new=True) == []
    db.session.commit()
    [event] = missed_events()
    assert (event.invoice_id, event.actor_kind) == (task.invoice_id, "system")
    assert event.data == {
        "task_id": task.id,
        "promise_on": "2026-12-20",
        "expected_balance_minor": 10450,
        "balance_minor": 10451,
    }


def test_a_kept_promise_is_not_missed(setup):
    task = promise(setup)
    money.record_desk_payment(task.invoice, 5000, "cash", SYSTEM)
    assert calls.missed_promises(date(2026, 12, 21)) == []
    assert missed_events() == []


def test_a_promise_of_the_whole_balance_needs_it_all(setup):
    task = promise(setup, amount=None)
    money.record_desk_payment(task.invoice, 15000, "cash", SYSTEM)
    assert calls.missed_promises(date(2026, 12, 21)) == [task]
    money.record_desk_payment(task.invoice, 450, "cash", SYSTEM)  # now paid in full
    assert calls.missed_promises(date(2026, 12, 22)) == []


def test_missed_promises_by_practice_and_only_new(setup):
    task = promise(setup)
    elsewhere = factories.practice(slug="elsewhere")
    assert calls.missed_promises(date(2026, 12, 21), practice_id=elsewhere.id) == []
    assert calls.missed_promises(
        date(2026, 12, 21), practice_id=task.practice_id, only_new=True
    ) == [task]
    db.session.commit()
    assert len(missed_events()) == 1


def test_one_call_per_invoice_closes_its_other_open_tasks(setup):
    practice, staff, invoice, task = setup
    later = call_task(invoice, due_on=date(2026, 12, 14), position=4)
    future = call_task(invoice, due_on=date(2026, 12, 21), position=5)
    assert [item.task for item in calls.queue(practice, TODAY)] == [task]
    calls.record_outcome(task, "voicemail", staff, None, today=TODAY)
    db.session.commit()
    assert (later.status, later.outcome, later.staff_id) == ("done", None, staff.id)
    assert future.status == "open"
    event = db.session.scalars(db.select(AuditEvent).filter_by(action="call.voicemail")).one()
    assert event.data == {"task_id": task.id, "note": None, "superseded": [later.id]}
    assert calls.queue(practice, TODAY) == []


# Holds and disputes (services/collections/holds.py), also set by a call's "dispute" outcome.


def test_hold_then_dispute_then_release(setup):
    _practice, _staff, invoice, task = setup
    holds.set_hold(invoice, "hold", " Waiting for the insurer ", SYSTEM)
    holds.set_hold(invoice, "dispute", "Contests line 2", SYSTEM)
    db.session.commit()
    state = holds.state_of(invoice)
    assert (state.hold, state.hold_note) == ("dispute", "Contests line 2")
    holds.release(invoice, "Explained on the phone", SYSTEM)
    db.session.commit()
    assert (state.hold, state.hold_note) == (None, None)
    events = [e for e in audit.timeline(invoice.id) if e.action.startswith("hold.")]
    assert [(e.action, e.data) for e in events] == [
        ("hold.set", {"kind": "hold", "previous": None, "note": "Waiting for the insurer"}),
        ("hold.set", {"kind": "dispute", "previous": "hold", "note": "Contests line 2"}),
        ("hold.released", {"kind": "dispute", "note": "Explained on the phone"}),
    ]
    overview = holds.overview(invoice)
    assert overview.hold is None and overview.calls == [task]


def test_holds_are_refused(setup):
    _practice, _staff, invoice, _task = setup
    with pytest.raises(holds.HoldRefused, match="not on hold"):
        holds.release(invoice, "why", SYSTEM)
    with pytest.raises(holds.HoldRefused, match="saying why"):
        holds.set_hold(invoice, "hold", "  ", SYSTEM)
    with pytest.raises(holds.HoldRefused, match="300 characters"):
        holds.set_hold(invoice, "hold", "x" * 301, SYSTEM)
    with pytest.raises(holds.HoldRefused, match="hold or dispute"):
        holds.set_hold(invoice, "pause", "why", SYSTEM)
    money.record_desk_payment(invoice, 15450, "cash", SYSTEM)
    with pytest.raises(holds.HoldRefused, match="Only an open invoice"):
        holds.set_hold(invoice, "dispute", "why", SYSTEM)
    assert holds.state_of(invoice) is None


def test_a_newer_promise_replaces_an_older_one(setup):
    first = promise(setup)  # by 20 December, €50.00
    _practice, staff, invoice, _task = setup
    second = call_task(invoice, due_on=date(2026, 12, 21), position=4)
    calls.record_outcome(
        second, "promise", staff, None, date(2026, 12, 28), None, today=date(2026, 12, 21)
    )
    db.session.commit()
    assert calls.missed_promises(date(2026, 12, 22)) == []  # the first is replaced
    assert calls.missed_promises(date(2026, 12, 29)) == [second]
    assert first.outcome == "promise"
