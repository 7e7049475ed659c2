"""The cadence in batches: the same rows as invoice by invoice, and statements per batch."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.gateways.mail import SMTPMailer
from portal.gateways.sms import TwilioSender
from portal.models import (
    AuditEvent,
    CallTask,
    CollectionState,
    Delivery,
    Invoice,
    PaymentLink,
    ReminderLog,
)
from portal.services.billing import money
from portal.services.collections import cadence, holds
from portal.services.core import bulk
from portal.services.core.audit import Actor
from tests import factories
from tests.support.twilio import FakeTwilio

STAFF = Actor("staff", "1", "127.0.0.1")
TEN = time(10, 0)
START = date(2026, 11, 20)


@pytest.fixture
def senders(app, smtp):
    app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    with FakeTwilio() as fake:
        app.extensions["saldo.sms"] = TwilioSender("AC_test", "secret", "+15005550006", fake.url)
        yield


def _empty():
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def _build() -> dict[str, Invoice]:
    """Invoices at every point of the cadence: not yet in reach, courtesy email due, calls
    due (with and without consent to texts), several steps due at once, a patient without a
    phone or an address, one put on hold and released, one voided, one paused."""
    practice = factories.practice()
    people = {
        "texts": dict(email="a@example.org", phone="+393331110001", sms_consent=True),
        "calls": dict(email="b@example.org", phone="+393331110002", sms_consent=False),
        "nobody": dict(email=None, phone=None, email_consent=False),
    }
    made = {}
    for who, kwargs in people.items():
        for label, issued in (
            ("later", START + timedelta(days=10)),
            ("courtesy", START - timedelta(days=28)),
            ("call", START - timedelta(days=37)),
            ("late", START - timedelta(days=75)),
        ):
            patient = factories.patient(
                practice, first_name=who, last_name=label, locale="en", **kwargs
            )
            number = f"{who}-{label}"
            made[number] = factories.invoice(patient, number=number, today=issued)
    return made


def _scenario() -> None:
    """Three weeks of daily runs, with staff changing invoices in between."""
    invoices = _build()
    for offset in range(0, 22):
        day = START + timedelta(days=offset)
        if offset == 3:
            holds.set_hold(invoices["calls-call"], "hold", "checking", STAFF)
            db.session.commit()
        if offset == 9:
            holds.release(db.session.get(Invoice, invoices["calls-call"].id), "ok", STAFF)
            db.session.commit()
        if offset == 5:
            money.void(db.session.get(Invoice, invoices["texts-late"].id), "twice", STAFF)
            db.session.commit()
        if offset == 6:
            state = db.session.get(CollectionState, invoices["calls-late"].id)
            state.paused_until = day + timedelta(days=4)
            db.session.commit()
        cadence.run(day, TEN)


def _snapshot() -> dict:
    """Everything the cadence wrote, named by invoice number instead of ids."""
    number = dict(db.session.execute(db.select(Invoice.id, Invoice.number)).all())
    deliveries = {d.id: d for d in db.session.scalars(db.select(Delivery))}
    tasks = {t.id: t for t in db.session.scalars(db.select(CallTask))}

    def reason(text):
        if text and text.startswith("delivery:"):
            d = deliveries[int(text.split(":")[1])]
            return ("delivery", d.channel, d.status)
        return text

    def data(values):
        values = dict(values)
        if "delivery_id" in values:
            values["delivery_id"] = reason(f"delivery:{values['delivery_id']}")
        if "call_task_id" in values:
            task = tasks[values.pop("call_task_id")]
            values["call_task"] = (number[task.invoice_id], task.position)
        return values

    return {
        "logs": sorted(
            (number[r.invoice_id], r.position, r.channel, r.sent_on, r.status, reason(r.reason))
            for r in db.session.scalars(db.select(ReminderLog))
        ),
        "tasks": sorted(
            (number[t.invoice_id], t.due_on, t.position, t.status) for t in tasks.values()
        ),
        "audit": sorted(
            (number.get(e.invoice_id), e.action, sorted(data(e.data).items()))
            for e in db.session.scalars(db.select(AuditEvent))
            if e.action.startswith("reminder.")
        ),
        "states": sorted(
            (
                number[s.invoice_id],
                s.hold,
                s.stopped_reason,
                s.last_position,
                s.paused_until,
                s.next_action_on,
            )
            for s in db.session.scalars(db.select(CollectionState))
        ),
        "deliveries": sorted(
            (number.get(d.invoice_id), d.purpose, d.channel, d.status, d.recipient)
            for d in deliveries.values()
        ),
        "links": sorted(number[i] for i in db.session.scalars(db.select(PaymentLink.invoice_id))),
        "started": sorted(
            number[i]
            for i in db.session.scalars(db.select(Invoice.id).where(Invoice.cadence_started))
        ),
    }


def test_batches_write_the_same_rows_as_invoice_by_invoice(app, senders, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(cadence, "_batch", cadence._one_by_one)
        _scenario()
        one_by_one = _snapshot()
    _empty()
    with monkeypatch.context() as m:
        m.setattr(cadence, "BATCH", 5)  # twelve invoices: batches of 5, 5 and 2
        _scenario()
        batched = _snapshot()
    assert batched == one_by_one
    # the scenario reaches every kind of row
    assert (len(one_by_one["logs"]), len(one_by_one["tasks"])) == (76, 10)
    assert len(one_by_one["deliveries"]) == 11
    assert {row[4] for row in one_by_one["logs"]} == {"sent", "skipped", "task"}
    assert {row[2] for row in one_by_one["states"]} == {None, "void"}
    stops = [(n, action, d) for n, action, d in one_by_one["audit"] if "sent" not in action]
    assert [s for s in stops if s[1] != "reminder.call_task"] == [
        ("calls-call", "reminder.resumed", [("after", "hold")]),
        ("calls-call", "reminder.stopped", [("reason", "hold")]),
        ("calls-late", "reminder.resumed", [("after", "question")]),
        ("calls-late", "reminder.stopped", [("reason", "question")]),
        ("texts-late", "reminder.stopped", [("reason", "void")]),
    ]
    # the three invoices not yet in reach were never started
    assert one_by_one["started"] == sorted(
        f"{who}-{label}"
        for who in ("texts", "calls", "nobody")
        for label in ("courtesy", "call", "late")
    )


def _due_invoices(count: int) -> None:
    """`count` invoices whose first call is due on START (patients agreed to nothing)."""
    practice = factories.practice()
    for n in range(count):
        patient = factories.patient(
            practice, first_name=f"P{n}", email=None, phone=f"+3933300{n:05d}"
        )
        factories.invoice(patient, number=f"N-{n}", today=START - timedelta(days=37))


def _statements(count: int, monkeypatch) -> int:
    _empty()
    _due_invoices(count)
    seen = [0]

    def counted(*_args):
        seen[0] += 1

    copy = bulk.copy

    def counted_copy(table, rows):
        seen[0] += 1
        copy(table, rows)

    monkeypatch.setattr(bulk, "copy", counted_copy)
    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        report = cadence.run(START, TEN)
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    assert report.call_tasks == count
    return seen[0]


def test_statements_grow_with_batches_not_invoices(app, monkeypatch):
    monkeypatch.setattr(cadence, "BATCH", 10)
    one_batch = _statements(10, monkeypatch)
    two_batches = _statements(20, monkeypatch)
    four_batches = _statements(40, monkeypatch)
    per_batch = two_batches - one_batch
    # ten due invoices more cost one batch's statements, whichever ten they are
    assert four_batches == one_batch + 3 * per_batch
    # read the batch (invoices, states, logs, balances, plans), write it (states, the
    # invoices started, logs, call tasks with their ids, their audit events), commit
    expected = 12 if db.engine.dialect.name == "postgresql" else 11
    assert per_batch == expected
