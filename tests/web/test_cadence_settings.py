"""Owners edit the reminder cadence; the engine follows it."""

from datetime import time, timedelta

from portal.extensions import db
from portal.models import CadenceStep, Practice, ReminderLog
from portal.services.collections import cadence
from tests import factories
from tests.web.staff_client import csrf, make_staff, sign_in


def owner(web_app):
    with web_app.app_context():
        practice = factories.practice()
        email, practice_id = make_staff(practice, "owner").email, practice.id
    client = web_app.test_client()
    sign_in(client, email)
    return client, practice_id


def rows(**steps):
    data = {}
    for i, (channel, day, tone) in enumerate(steps.values()):
        data.update(
            {
                f"steps-{i}-channel": channel,
                f"steps-{i}-day_offset": str(day),
                f"steps-{i}-tone": tone,
            }
        )
    return data


def test_default_cadence_is_shown_then_replaced(web_app):
    client, practice_id = owner(web_app)
    page = client.get("/staff/settings/cadence").get_data(as_text=True)
    assert page.count('selected value="letter"') == 3
    form = rows(a=("email", 5, "friendly"), b=("letter", 30, "final"))
    response = client.post(
        "/staff/settings/cadence",
        data={"csrf_token": csrf(client, "/staff/settings/cadence"), **form},
    )
    assert response.status_code == 302
    with web_app.app_context():
        steps = db.session.scalars(
            db.select(CadenceStep).filter_by(practice_id=practice_id).order_by(CadenceStep.position)
        ).all()
        assert [(s.position, s.channel, s.day_offset, s.tone) for s in steps] == [
            (1, "email", 5, "friendly"),
            (2, "letter", 30, "final"),
        ]
        practice = db.session.get(Practice, practice_id)
        invoice = factories.invoice(factories.patient(practice))
        cadence.run(invoice.due_on + timedelta(days=5), time(10, 0))
        logs = db.session.scalars(db.select(ReminderLog).filter_by(invoice_id=invoice.id)).all()
        assert [(log.position, log.channel, log.status) for log in logs] == [(1, "email", "sent")]


def test_bad_cadences_change_nothing(web_app):
    client, _practice_id = owner(web_app)
    token = csrf(client, "/staff/settings/cadence")
    same_day = rows(a=("email", 5, "friendly"), b=("email", 5, "firm"))
    page = client.post("/staff/settings/cadence", data={"csrf_token": token, **same_day}).get_data(
        as_text=True
    )
    assert "Two steps have the same day and channel." in page
    too_late = rows(a=("email", 400, "friendly"))
    page = client.post("/staff/settings/cadence", data={"csrf_token": token, **too_late}).get_data(
        as_text=True
    )
    assert "Days are from -30" in page
    page = client.post("/staff/settings/cadence", data={"csrf_token": token}).get_data(as_text=True)
    assert "A cadence has from 1 to 20 steps." in page
    with web_app.app_context():
        assert db.session.scalars(db.select(CadenceStep)).all() == []
