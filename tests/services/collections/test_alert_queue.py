"""The alerts queue: a practice's open alerts, most severe first and then oldest first, with
the kept balance of each invoice and the facts of each alert parsed."""

from datetime import date, datetime

from portal.extensions import db
from portal.models import Alert
from portal.models.alert import AlertKind
from portal.services.collections import alert_queue
from tests import factories

TODAY = date(2026, 11, 20)


def raise_alerts(practice):
    patient = factories.patient(practice)
    made = {}
    for number, kind, raised in (
        ("L-1", AlertKind.LINK_NOT_OPENED, date(2026, 11, 1)),
        ("F-1", AlertKind.FAILED_CHARGE, date(2026, 11, 18)),
        ("S-1", AlertKind.SHORT_PAYMENT, date(2026, 11, 10)),
        ("F-2", AlertKind.MISSED_PROMISE, date(2026, 11, 12)),
        ("R-1", AlertKind.CARD_EXPIRING, date(2026, 11, 19)),
    ):
        invoice = factories.invoice(patient, number=number)
        alert = Alert(practice_id=practice.id, invoice_id=invoice.id, kind=kind, raised_on=raised)
        db.session.add(alert)
        made[number] = alert
    db.session.commit()
    return made


def test_most_severe_first_then_oldest_first(app):
    practice = factories.practice()
    made = raise_alerts(practice)
    made["R-1"].resolved_at = datetime(2026, 11, 19, 12)
    other = factories.practice()
    raise_alerts(other)
    rows = alert_queue.queue(practice.id, TODAY)
    assert [(r.invoice.number, r.severity, r.age_days) for r in rows] == [
        ("F-2", 3, 8),
        ("F-1", 3, 2),
        ("S-1", 2, 10),
        ("L-1", 1, 19),
    ]
    assert {r.balance_minor for r in rows} == {15450}
    assert {r.plan_running for r in rows} == {False}
    assert alert_queue.count_open(practice.id) == 4
    assert alert_queue.count_open(practice.id, AlertKind.CARD_EXPIRING) == 0


def test_a_kind_filters_the_queue_and_pages_hold_per_page_rows(app, monkeypatch):
    practice = factories.practice()
    raise_alerts(practice)
    rows = alert_queue.queue(practice.id, TODAY, AlertKind.SHORT_PAYMENT)
    assert [r.invoice.number for r in rows] == ["S-1"]
    monkeypatch.setattr(alert_queue, "PER_PAGE", 2)
    pages = [
        [r.invoice.number for r in alert_queue.queue(practice.id, TODAY, page=n)]
        for n in (0, 2, 3, 4)
    ]
    assert pages == [["F-2", "F-1"], ["S-1", "L-1"], ["R-1"], []]


def test_an_alert_raised_after_the_day_shown_is_zero_days_old(app):
    practice = factories.practice()
    raise_alerts(practice)
    rows = alert_queue.queue(practice.id, date(2026, 11, 15))
    assert {r.invoice.number: r.age_days for r in rows}["R-1"] == 0


def test_the_facts_parse_days_and_moments_at_every_depth():
    data = {
        "due_on": "2026-11-01",
        "at": "2026-11-02T09:30:00",
        "tried_at": "2026-11-03T10:00:00",
        "amount_minor": 5000,
        "plan": {"next_on": "2026-12-01", "label": "on"},
        "note": "due_on is not parsed in a value",
    }
    assert alert_queue.facts(data) == {
        "due_on": date(2026, 11, 1),
        "at": datetime(2026, 11, 2, 9, 30),
        "tried_at": datetime(2026, 11, 3, 10, 0),
        "amount_minor": 5000,
        "plan": {"next_on": date(2026, 12, 1), "label": "on"},
        "note": "due_on is not parsed in a value",
    }
