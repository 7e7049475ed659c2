"""The alerts queue over HTTP: what each role sees, practice isolation, and every action."""

from datetime import timedelta

import pytest

from portal.clock import practice_today
from portal.extensions import db
from portal.models import (
    Alert,
    AuditEvent,
    CallTask,
    CollectionState,
    Delivery,
    OutboxMessage,
    PlanPolicy,
)
from portal.services.collections import alert_queue
from tests import factories
from tests.web.staff_client import csrf, make_staff, sign_in


def alert(invoice, kind, days_ago=0, **data):
    today = practice_today(invoice.practice)
    record = Alert(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        kind=kind,
        raised_on=today - timedelta(days=days_ago),
        data=data,
    )
    db.session.add(record)
    db.session.commit()
    return record.id


@pytest.fixture
def world(web_app):
    """Practice A with two patients' alerts and a user of each role; practice B with its own."""
    with web_app.app_context():
        a = factories.practice(slug="a", name="Studio A")
        b = factories.practice(slug="b", name="Studio B")
        today = practice_today(a)
        giulia = factories.invoice(factories.patient(a), number="A-1", today=today)
        marco = factories.invoice(
            factories.patient(
                a, first_name="Marco", last_name="Verdi", email=None, phone="+393331234567"
            ),
            number="A-2",
            today=today,
        )
        marco.patient.sms_consent = True
        anna = factories.invoice(
            factories.patient(b, first_name="Anna", last_name="Neri"), number="B-1", today=today
        )
        ids = dict(
            link=alert(giulia, "link_not_opened", 9, first_sent_on=str(today - timedelta(9))),
            failed=alert(
                marco,
                "failed_charge",
                2,
                installment=2,
                due_on=str(today - timedelta(2)),
                amount_minor=23175,
                failure_code="card_declined",
                attempts=1,
                next_attempt_on=str(today + timedelta(1)),
            ),
            promise=alert(
                giulia,
                "missed_promise",
                1,
                task_id=1,
                promise_on=str(today - timedelta(2)),
                promised_minor=5000,
                paid_minor=1000,
            ),
            other=alert(
                anna,
                "missed_promise",
                1,
                task_id=2,
                promise_on=str(today - timedelta(2)),
                promised_minor=100,
                paid_minor=0,
            ),
        )
        resolved = Alert(
            practice_id=a.id,
            invoice_id=giulia.id,
            kind="card_expiring",
            raised_on=today - timedelta(days=20),
            data={"exp_month": 1, "exp_year": 2020, "last_due_on": str(today)},
            resolved_at=giulia.created_at,
        )
        db.session.add(resolved)
        emails = {role: make_staff(a, role).email for role in ("owner", "billing", "viewer")}
        emails["outsider"] = make_staff(b, "billing").email
        ids.update(giulia=giulia.id, marco=marco.id, anna=anna.id)
        db.session.commit()
    return ids, emails


def signed_in(web_app, email):
    client = web_app.test_client()
    sign_in(client, email)
    return client


def act(client, alert_id, action, **extra):
    data = {"csrf_token": csrf(client, "/staff/alerts"), "alert_id": alert_id, "action": action}
    return client.post("/staff/alerts/act", data={**data, **extra})


def events(web_app, action):
    with web_app.app_context():
        query = db.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)
        return db.session.scalars(query).all()


def get_alert(web_app, alert_id):
    with web_app.app_context():
        record = db.session.get(Alert, alert_id)
        db.session.expunge(record)
        return record


def test_queue_shows_open_alerts_most_urgent_first_and_only_this_practice(web_app, world):
    ids, emails = world
    client = signed_in(web_app, emails["billing"])
    page = client.get("/staff/alerts").get_data(as_text=True)
    assert "Urgent (2)" in page and "To watch (1)" in page
    # urgent first, and within it the oldest first
    order = [page.index(f'id="alert-{ids[k]}"') for k in ("failed", "promise", "link")]
    assert order == sorted(order)
    assert "Failed charge" in page and "card_declined" in page
    assert "Marco Verdi" in page and "A-2" in page
    assert "The patient promised to pay €50.00 by" in page and "€10.00 has come in" in page
    assert "The first link went out on" in page
    assert "Anna Neri" not in page and f'id="alert-{ids["other"]}"' not in page
    assert "Card expiring" not in page.split("</select>")[1]  # the resolved one is gone
    assert page.count('value="resend"') == 3
    filtered = client.get("/staff/alerts?kind=missed_promise").get_data(as_text=True)
    assert f'id="alert-{ids["promise"]}"' in filtered
    assert f'id="alert-{ids["failed"]}"' not in filtered
    assert "No open alerts." in client.get("/staff/alerts?kind=card_expiring").get_data(
        as_text=True
    )


def test_the_queue_follows_the_staff_language(web_app, world):
    ids, _ = world
    with web_app.app_context():
        practice = db.session.get(Alert, ids["promise"]).invoice.practice
        email = make_staff(practice, "billing", email="it@example.org", locale="it").email
    page = signed_in(web_app, email).get("/staff/alerts")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'lang="it"' in text and "50,00\xa0€" in text


def test_viewer_reads_the_queue_but_cannot_act(web_app, world):
    ids, emails = world
    client = signed_in(web_app, emails["viewer"])
    page = client.get("/staff/alerts")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Marco Verdi" in text and 'value="resend"' not in text
    for action in ("resend", "call", "hold", "plan", "settlement", "resolve"):
        assert act(client, ids["failed"], action).status_code == 403
    assert get_alert(web_app, ids["failed"]).resolved_at is None
    assert events(web_app, "link.sent") == []


def test_sign_in_is_needed(client, world):
    assert client.get("/staff/alerts").status_code == 302
    assert client.post("/staff/alerts/act").status_code in (302, 400)


def test_another_practices_alert_is_not_found(web_app, world):
    ids, emails = world
    client = signed_in(web_app, emails["outsider"])
    for action in ("resend", "resolve"):
        assert act(client, ids["failed"], action).status_code == 404
    assert act(client, 999999, "resolve").status_code == 404
    assert act(client, "", "resolve").status_code == 404
    assert get_alert(web_app, ids["failed"]).resolved_at is None


def test_forms_need_the_csrf_token_and_a_known_action(web_app, world):
    ids, emails = world
    client = signed_in(web_app, emails["billing"])
    response = client.post("/staff/alerts/act", data={"alert_id": ids["link"], "action": "resolve"})
    assert response.status_code == 400
    assert act(client, ids["link"], "explode").status_code == 400
    assert get_alert(web_app, ids["link"]).resolved_at is None


def test_resend_by_email_when_consented_else_by_text(web_app, world):
    ids, emails = world
    client = signed_in(web_app, emails["billing"])
    response = act(client, ids["link"], "resend")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/alerts")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Link sent to giulia@example.org." in page
    assert "Last action: link resent" in page
    response = act(client, ids["failed"], "resend", kind="failed_charge")
    assert response.headers["Location"].endswith("/staff/alerts?kind=failed_charge")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Link sent to +393331234567." in page
    with web_app.app_context():
        sent = db.session.scalars(db.select(Delivery).order_by(Delivery.id)).all()
        assert [(d.invoice_id, d.channel, d.status) for d in sent] == [
            (ids["giulia"], "email", "sent"),
            (ids["marco"], "sms", "sent"),
        ]
        kept = db.select(OutboxMessage.channel, OutboxMessage.recipient).order_by(OutboxMessage.id)
        assert db.session.execute(kept).all() == [
            ("email", "giulia@example.org"),
            ("sms", "+393331234567"),
        ]
    [event, _] = events(web_app, "alert.link_resent")
    assert event.data["alert_id"] == ids["link"] and event.data["channel"] == "email"
    assert event.actor_kind == "staff"
    assert get_alert(web_app, ids["link"]).data["last_action"]["action"] == "link_resent"


def test_resend_without_consent_changes_nothing(web_app, world):
    ids, emails = world
    with web_app.app_context():
        invoice = db.session.get(Alert, ids["link"]).invoice
        invoice.patient.email_consent = False
        db.session.commit()
    client = signed_in(web_app, emails["billing"])
    page = act(client, ids["link"], "resend").headers["Location"]
    text = client.get(page).get_data(as_text=True)
    assert "The patient has not agreed to be contacted by email or text message." in text
    with web_app.app_context():
        assert db.session.scalars(db.select(Delivery)).all() == []
    assert events(web_app, "alert.link_resent") == []


def test_call_task_for_today_once(web_app, world):
    ids, emails = world
    client = signed_in(web_app, emails["owner"])
    act(client, ids["failed"], "call")
    text = client.get(act(client, ids["failed"], "call").headers["Location"]).get_data(as_text=True)
    assert "This invoice already has an open call task." in text
    with web_app.app_context():
        [task] = db.session.scalars(db.select(CallTask)).all()
        invoice = db.session.get(Alert, ids["failed"]).invoice
        assert task.invoice_id == ids["marco"] and task.patient_id == invoice.patient_id
        assert task.due_on == practice_today(invoice.practice)
        assert (task.position, task.status, task.outcome) == (0, "open", None)
        assert task.note == "Failed charge"
    [event] = events(web_app, "alert.call_task_created")
    assert event.data["call_task_id"] == task.id


def test_put_on_hold(web_app, world):
    ids, emails = world
    client = signed_in(web_app, emails["billing"])
    act(client, ids["promise"], "hold")
    with web_app.app_context():
        state = db.session.get(CollectionState, ids["giulia"])
        assert (state.hold, state.hold_note) == ("hold", "alert")
    assert len(events(web_app, "alert.held")) == 1
    assert len(events(web_app, "hold.set")) == 1
    text = client.get(act(client, ids["link"], "hold").headers["Location"]).get_data(as_text=True)
    assert "Reminders for this invoice are already paused." in text
    assert len(events(web_app, "alert.held")) == 1


def test_offer_a_plan_sends_the_link_when_the_policy_offers_one(web_app, world):
    ids, emails = world
    client = signed_in(web_app, emails["billing"])
    text = client.get(act(client, ids["promise"], "plan").headers["Location"]).get_data(
        as_text=True
    )
    assert "The practice&#39;s plan policy offers no plan for this balance." in text
    with web_app.app_context():
        assert db.session.scalars(db.select(Delivery)).all() == []
        practice_id = db.session.get(Alert, ids["promise"]).practice_id
        db.session.add(PlanPolicy(practice_id=practice_id))
        db.session.commit()
    text = client.get(act(client, ids["promise"], "plan").headers["Location"]).get_data(
        as_text=True
    )
    assert "Link sent to giulia@example.org: the patient can choose a payment plan" in text
    with web_app.app_context():
        [delivery] = db.session.scalars(db.select(Delivery)).all()
        assert (delivery.invoice_id, delivery.purpose) == (ids["giulia"], "link")
    [event] = events(web_app, "alert.plan_offered")
    assert event.data["counts"] == [3] and event.data["delivery_id"] == delivery.id


def test_offer_a_settlement_goes_to_the_invoice_offers(web_app, world):
    ids, emails = world
    client = signed_in(web_app, emails["billing"])
    response = act(client, ids["promise"], "settlement")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/invoices/{ids['giulia']}#offers")
    assert len(events(web_app, "alert.settlement_opened")) == 1
    assert get_alert(web_app, ids["promise"]).resolved_at is None


def test_resolve_takes_it_off_the_queue(web_app, world):
    ids, emails = world
    client = signed_in(web_app, emails["billing"])
    text = client.get(act(client, ids["failed"], "resolve").headers["Location"]).get_data(
        as_text=True
    )
    assert "Alert resolved." in text and f'id="alert-{ids["failed"]}"' not in text
    record = get_alert(web_app, ids["failed"])
    assert record.resolved_at is not None and record.data["resolution"] == "dismissed"
    [event] = events(web_app, "alert.dismissed")
    assert event.data["alert_id"] == ids["failed"] and event.actor_kind == "staff"
    text = client.get(act(client, ids["failed"], "call").headers["Location"]).get_data(as_text=True)
    assert "This alert is already resolved." in text


def test_the_queue_is_paged_in_its_order(web_app, world, monkeypatch):
    ids, emails = world
    monkeypatch.setattr(alert_queue, "PER_PAGE", 2)
    client = signed_in(web_app, emails["billing"])
    first = client.get("/staff/alerts").get_data(as_text=True)
    assert f'id="alert-{ids["failed"]}"' in first and f'id="alert-{ids["promise"]}"' in first
    assert f'id="alert-{ids["link"]}"' not in first
    assert "Page 1 of 2" in first and 'href="/staff/alerts?page=2" rel="next"' in first
    second = client.get("/staff/alerts?page=2").get_data(as_text=True)
    assert f'id="alert-{ids["link"]}"' in second and f'id="alert-{ids["failed"]}"' not in second
    assert "Page 2 of 2" in second and "To watch (1)" in second
    assert 'rel="next"' not in second and 'href="/staff/alerts?page=1" rel="prev"' in second
    beyond = client.get("/staff/alerts?page=9").get_data(as_text=True)
    assert "Page 2 of 2" in beyond


def test_a_late_charge_stripe_would_not_refund_is_shown_for_staff_to_act(web_app, world):
    ids, emails = world
    reason = "charge_disputed: Charge ch_1 has been charged back; cannot issue a refund."
    with web_app.app_context():
        invoice = db.session.get(Alert, ids["promise"]).invoice
        late = alert(
            invoice,
            "late_charge_failed",
            late_charge_id=1,
            payment_id=1,
            payment_intent="pi_late_1",
            amount_minor=6000,
            reason=reason,
        )
        practice = invoice.practice
        italian = make_staff(practice, "billing", email="it@example.org", locale="it").email
    page = signed_in(web_app, emails["billing"]).get("/staff/alerts").get_data(as_text=True)
    row = page.split(f'id="alert-{late}"')[1].split("</tr>")[0]
    assert "<strong>Second charge not refunded</strong>" in row
    assert (
        "A second charge of €60.00 (pi_late_1) reached Stripe after this payment was settled,"
        f" and Stripe refused to refund it: {reason}. Refund it in the Stripe Dashboard, then"
        " resolve this alert."
    ) in " ".join(row.split())
    assert "Urgent (3)" in page
    text = signed_in(web_app, italian).get("/staff/alerts").get_data(as_text=True)
    row = " ".join(text.split(f'id="alert-{late}"')[1].split("</tr>")[0].split())
    assert "<strong>Secondo addebito non rimborsato</strong>" in row
    assert (
        "Un secondo addebito di 60,00 € (pi_late_1) è arrivato a Stripe dopo che questo"
        " pagamento era già stato regolato"
    ) in row
