"""The call queue, letters and holds over HTTP: scoped to the practice, roles, CSRF."""

from datetime import timedelta

import pytest

from portal.clock import practice_today
from portal.extensions import db
from portal.models import CallTask, CollectionState, ReminderLog
from portal.services.core import audit
from tests import factories
from tests.support.pdf import pdf_text
from tests.web.staff_client import csrf, make_staff, sign_in


@pytest.fixture
def world(web_app):
    """Practice A: an overdue invoice with a call task due yesterday, a letter logged
    yesterday, a billing user and a viewer. Practice B: the same, with its own owner."""
    with web_app.app_context():
        ids = {}
        for slug, name, first in [("a", "Studio A", "Giulia"), ("b", "Studio B", "Bruno")]:
            practice = factories.practice(slug=slug, name=name)
            today = practice_today(practice)
            patient = factories.patient(
                practice, first_name=first, phone="+39 333 123 4567", postal_address="Via Roma 1"
            )
            invoice = factories.invoice(patient, today=today - timedelta(days=40))
            task = CallTask(
                practice_id=practice.id,
                invoice_id=invoice.id,
                patient_id=patient.id,
                due_on=today - timedelta(days=1),
                position=3,
            )
            letter = ReminderLog(
                practice_id=practice.id,
                invoice_id=invoice.id,
                position=4,
                channel="letter",
                sent_on=today - timedelta(days=1),
                status="letter",
            )
            db.session.add_all([task, letter])
            db.session.commit()
            ids[slug] = dict(task=task.id, invoice=invoice.id, day=letter.sent_on, today=today)
            if slug == "a":
                ids["billing"] = make_staff(practice, "billing").email
                ids["viewer"] = make_staff(practice, "viewer").email
        return ids


def client_for(web_app, email):
    client = web_app.test_client()
    sign_in(client, email)
    return client


def outcome(client, task_id, **fields):
    data = {f"task-{task_id}-{name}": value for name, value in fields.items()}
    data[f"task-{task_id}-csrf_token"] = csrf(client, "/staff/calls")
    return client.post(f"/staff/calls/{task_id}", data=data)


def task(web_app, task_id) -> CallTask:
    with web_app.app_context():
        found = db.session.get(CallTask, task_id)
        db.session.expunge(found)
        return found


def test_the_queue_lists_only_the_practices_own_calls(web_app, world):
    page = client_for(web_app, world["billing"]).get("/staff/calls")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Calls to make</h1>" in html
    assert "Giulia Bianchi" in html and "Bruno" not in html
    assert 'href="tel:+393331234567"' in html
    assert "Italiano" in html
    assert "€154.50" in html  # the balance, for the staff
    assert "154,50\xa0€" in html  # the script, in the patient's language
    assert 'lang="it"' in html
    assert "Treatment" not in html
    assert f'action="/staff/calls/{world["a"]["task"]}"' in html
    assert f'name="task-{world["a"]["task"]}-csrf_token"' in html


def test_a_viewer_reads_the_queue_but_cannot_record(web_app, world):
    viewer = client_for(web_app, world["viewer"])
    html = viewer.get("/staff/calls").get_data(as_text=True)
    assert "Giulia Bianchi" in html
    assert "Record outcome" not in html
    response = outcome(viewer, world["a"]["task"], outcome="reached")
    assert response.status_code == 403
    assert task(web_app, world["a"]["task"]).status == "open"


def test_a_promise_to_pay_is_recorded_and_leaves_the_queue(web_app, world):
    desk = client_for(web_app, world["billing"])
    promised = world["a"]["today"] + timedelta(days=7)
    response = outcome(
        desk,
        world["a"]["task"],
        outcome="promise",
        promise_on=promised.isoformat(),
        promise_amount="50,00",
        note="Pays on payday",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/calls")
    html = desk.get("/staff/calls").get_data(as_text=True)
    assert "Call with Giulia Bianchi recorded: Promise to pay." in html
    assert "No calls to make today." in html
    done = task(web_app, world["a"]["task"])
    assert (done.status, done.outcome, done.promise_on, done.promise_amount_minor, done.note) == (
        "done",
        "promise",
        promised,
        5000,
        "Pays on payday",
    )
    with web_app.app_context():
        assert "call.promise" in [e.action for e in audit.timeline(world["a"]["invoice"])]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"outcome": "promise", "promise_on": "2020-01-01"},
            "The promised date cannot be in the past.",
        ),
        (
            {"outcome": "promise", "promise_on": "2099-01-01", "promise_amount": "abc"},
            "Enter an amount like 120.50.",
        ),
        (
            {"outcome": "promise", "promise_on": "2099-01-01", "promise_amount": "200"},
            "The amount is more than the balance.",
        ),
        ({"outcome": "promise"}, "Enter the date the patient promised to pay by."),
        ({"note": "no outcome"}, "Choose what came of the call."),
    ],
)
def test_a_refused_outcome_shows_the_error_and_changes_nothing(web_app, world, fields, message):
    desk = client_for(web_app, world["billing"])
    response = outcome(desk, world["a"]["task"], **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert task(web_app, world["a"]["task"]).status == "open"


def test_a_dispute_holds_the_invoice(web_app, world):
    desk = client_for(web_app, world["billing"])
    response = outcome(desk, world["a"]["task"], outcome="dispute", note="Says insurance paid")
    assert response.status_code == 302
    with web_app.app_context():
        state = db.session.get(CollectionState, world["a"]["invoice"])
        assert (state.hold, state.hold_note) == ("dispute", "Says insurance paid")


def test_another_practices_objects_are_404(web_app, world):
    desk = client_for(web_app, world["billing"])
    assert outcome(desk, world["b"]["task"], outcome="reached").status_code == 404
    invoice_b = world["b"]["invoice"]
    assert hold(desk, invoice_b, "hold", "x").status_code == 404
    data = {"csrf_token": csrf(desk), "release-note": "x"}
    assert desk.post(f"/staff/invoices/{invoice_b}/release", data=data).status_code == 404
    assert task(web_app, world["b"]["task"]).status == "open"
    # B's letters are not A's: A's own day has a PDF, a day with only B's letters would be 404
    assert desk.get(f"/staff/letters/{world['a']['day'].isoformat()}.pdf").status_code == 200
    with web_app.app_context():
        db.session.execute(
            db.delete(ReminderLog).where(ReminderLog.invoice_id == world["a"]["invoice"])
        )
        db.session.commit()
    assert desk.get(f"/staff/letters/{world['b']['day'].isoformat()}.pdf").status_code == 404


def test_posts_need_the_csrf_token(web_app, world):
    desk = client_for(web_app, world["billing"])
    response = desk.post(
        f"/staff/calls/{world['a']['task']}", data={f"task-{world['a']['task']}-outcome": "reached"}
    )
    assert response.status_code == 400
    response = desk.post(
        f"/staff/invoices/{world['a']['invoice']}/hold",
        data={"hold-kind": "hold", "hold-note": "x"},
    )
    assert response.status_code == 400
    assert task(web_app, world["a"]["task"]).status == "open"


def hold(client, invoice_id, kind, note):
    data = {"csrf_token": csrf(client), "hold-kind": kind, "hold-note": note}
    return client.post(f"/staff/invoices/{invoice_id}/hold", data=data)


def test_staff_set_and_lift_a_hold_from_the_invoice_page(web_app, world):
    desk = client_for(web_app, world["billing"])
    invoice_id = world["a"]["invoice"]
    page = desk.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    assert '<h2 id="collections-title">Reminders and calls</h2>' in page
    assert "No hold or dispute" in page
    assert "Put on hold" in page and "Mark as disputed" in page
    assert "letter to print" in page  # the reminder log
    assert "to call" in page  # the open call task

    response = hold(desk, invoice_id, "hold", "Waiting for the insurer")
    assert response.status_code == 302
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "The invoice is on hold; reminders are paused." in page
    assert "Waiting for the insurer" in page
    assert "Lift the hold" in page
    with web_app.app_context():
        assert db.session.get(CollectionState, invoice_id).hold == "hold"
    assert "Giulia Bianchi" not in desk.get("/staff/calls").get_data(as_text=True)

    data = {"csrf_token": csrf(desk), "release-note": "Insurer paid its part"}
    response = desk.post(f"/staff/invoices/{invoice_id}/release", data=data)
    assert response.status_code == 302
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "The hold is lifted; reminders can resume." in page
    with web_app.app_context():
        state = db.session.get(CollectionState, invoice_id)
        assert (state.hold, state.hold_note) == (None, None)
        actions = [e.action for e in audit.timeline(invoice_id)]
        assert actions[-2:] == ["hold.set", "hold.released"]


def test_a_hold_needs_a_note_and_a_viewer_cannot_set_one(web_app, world):
    desk = client_for(web_app, world["billing"])
    invoice_id = world["a"]["invoice"]
    response = hold(desk, invoice_id, "dispute", "  ")
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "This field is required." in page or "Write a note saying why." in page
    viewer = client_for(web_app, world["viewer"])
    assert hold(viewer, invoice_id, "hold", "x").status_code == 403
    page = viewer.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    assert "Reminders and calls" in page and "Put on hold" not in page
    with web_app.app_context():
        assert db.session.get(CollectionState, invoice_id) is None


def test_letters_page_and_pdf(web_app, world):
    viewer = client_for(web_app, world["viewer"])
    day = world["a"]["day"]
    html = viewer.get("/staff/letters").get_data(as_text=True)
    assert "<h1>Letters to print</h1>" in html
    assert f'href="/staff/letters/{day.isoformat()}.pdf"' in html
    response = viewer.get(f"/staff/letters/{day.isoformat()}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f'filename="letters-a-{day.isoformat()}.pdf"' in response.headers["Content-Disposition"]
    pages = pdf_text(response.data).split("\f")[:-1]
    assert len(pages) == 1 and "Giulia Bianchi" in pages[0] and "Via Roma 1" in pages[0]
    for bad in ("2026-13-01", "20261201", "yesterday", (day + timedelta(days=1)).isoformat()):
        assert viewer.get(f"/staff/letters/{bad}.pdf").status_code == 404, bad
