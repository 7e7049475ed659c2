"""Messages about a plan: each notice recorded once per installment and attempt (a replay
records nothing more), delivered by the worker in the patient's language with the amounts
and days of the plan, the past-due alert to the practice as well, and the sealed agreement
sent once however often its sealing runs."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import Delivery, PendingWork, Plan
from portal.services.core import outbox
from portal.services.messaging import plans as plan_messages
from portal.services.plans import plans
from tests import factories
from tests.support import plans as plan_support

#: nothing here differs by database
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def active_plan(language="it", **patient):
    """A 6-installment plan of €1,545.00 from 15 December 2026 (the installments after the
    down payment €231.75 each) chosen in `language`, active."""
    invoice = factories.invoice(factories.patient(factories.practice(), **patient), (120000, 34500))
    plan_support.policy(invoice.practice)
    plan = plans.choose(invoice, 6, date(2026, 12, 15), language, plan_support.PATIENT)
    plan.status = "active"
    db.session.commit()
    return plan


def work_keys() -> list[str]:
    return list(db.session.scalars(db.select(PendingWork.dedupe_key).order_by(PendingWork.id)))


def sent() -> list[tuple]:
    rows = db.session.scalars(db.select(Delivery).order_by(Delivery.id))
    return [(d.purpose, d.recipient, d.locale, d.status, d.subject) for d in rows]


def body(purpose: str) -> str:
    return db.session.scalars(db.select(Delivery.body).filter_by(purpose=purpose)).one()


def test_the_upcoming_notice_goes_once_per_due_day(app):
    plan = active_plan()
    installment = plan.installments[1]
    plan_messages.upcoming(installment)
    plan_messages.upcoming(installment)  # the reminder job run again
    db.session.commit()
    assert work_keys() == [f"plan:{plan.id}:installment_upcoming:{installment.id}:2027-01-15"]
    assert outbox.run_pending() == 1
    assert outbox.run_pending() == 0
    assert sent() == [
        (
            "installment_upcoming",
            "giulia@example.org",
            "it",
            "sent",
            "Prossima rata in scadenza il 15 gen 2027",
        )
    ]
    assert "addebiteremo la rata di 231,75\xa0€" in body("installment_upcoming")
    # the installment moved to another day: the patient is told of the new one
    installment.due_on = date(2027, 1, 22)
    plan_messages.upcoming(installment)
    db.session.commit()
    assert work_keys()[1:] == [f"plan:{plan.id}:installment_upcoming:{installment.id}:2027-01-22"]


def test_a_decline_notice_per_attempt_names_the_next_try(app):
    plan = active_plan("en", email="ann@example.org")
    installment = plan.installments[2]
    installment.attempts = 1
    plan_messages.charge_failed(installment, date(2027, 2, 18))
    plan_messages.charge_failed(installment, date(2027, 2, 18))  # the same failure seen again
    db.session.commit()
    assert outbox.run_pending() == 1
    installment.attempts = 2
    plan_messages.charge_failed(installment, date(2027, 2, 22))
    db.session.commit()
    assert outbox.run_pending() == 1
    deliveries = db.session.scalars(db.select(Delivery).order_by(Delivery.id)).all()
    assert [(d.purpose, d.recipient, d.locale, d.payload) for d in deliveries] == [
        (
            "installment_failed",
            "ann@example.org",
            "en",
            {"plan_id": plan.id, "installment_id": installment.id, "next_on": "2027-02-18"},
        ),
        (
            "installment_failed",
            "ann@example.org",
            "en",
            {"plan_id": plan.id, "installment_id": installment.id, "next_on": "2027-02-22"},
        ),
    ]
    assert "We will try again on February 18, 2027." in deliveries[0].body
    assert "We will try again on February 22, 2027." in deliveries[1].body
    assert "€231.75" in deliveries[0].body


def test_an_authentication_request_per_attempt(app):
    plan = active_plan()
    installment = plan.installments[1]
    installment.attempts = 1
    plan_messages.authentication_needed(installment)
    plan_messages.authentication_needed(installment)
    db.session.commit()
    assert work_keys() == [f"plan:{plan.id}:installment_authenticate:{installment.id}:1"]
    assert outbox.run_pending() == 1
    assert sent() == [
        (
            "installment_authenticate",
            "giulia@example.org",
            "it",
            "sent",
            "La Sua banca chiede di confermare un pagamento",
        )
    ]


def test_past_due_tells_the_patient_and_the_practice_once(app):
    plan = active_plan()
    installment = plan.installments[1]
    plan_messages.past_due(installment)
    plan_messages.past_due(installment)
    db.session.commit()
    assert outbox.run_pending() == 2
    assert outbox.run_pending() == 0
    assert sent() == [
        (
            "plan_past_due",
            "giulia@example.org",
            "it",
            "sent",
            "Il Suo piano rateale è in ritardo con i pagamenti",
        ),
        (
            "practice_plan_past_due",
            "info@studio.example",
            "it",
            "sent",
            "Piano rateale in ritardo: Giulia Bianchi, fattura n. 2026-0001",
        ),
    ]
    assert "la rata n. 1 (231,75\xa0€)" in body("practice_plan_past_due")


def test_the_agreement_is_sealed_and_sent_once_however_often_the_sealing_runs(app):
    invoice = factories.invoice(factories.patient(factories.practice()), (120000, 34500))
    plan = plan_support.signed_card_plan(invoice, locale="it")
    plan_messages.agreement_signed(plan)
    plan_messages.agreement_signed(plan)
    db.session.commit()
    [seal] = db.session.scalars(db.select(PendingWork)).all()
    assert (seal.kind, seal.dedupe_key, seal.payload) == (
        "seal_agreement",
        f"plan:{plan.id}:seal",
        {"plan_id": plan.id},
    )
    assert outbox.run_pending() == 1
    sealed = db.session.get(Plan, plan.id).agreement_pdf
    assert sealed.startswith(b"%PDF")
    # a worker that lost its lease after sealing runs it again: same PDF, one email
    plan_messages.seal_agreement(seal)
    db.session.commit()
    assert db.session.get(Plan, plan.id).agreement_pdf == sealed
    assert work_keys() == [f"plan:{plan.id}:seal", f"plan:{plan.id}:plan_active:agreement"]
    assert outbox.run_pending() == 1
    assert sent() == [
        (
            "plan_active",
            "giulia@example.org",
            "it",
            "sent",
            "Il Suo piano rateale con Studio Dentistico Rossi è attivo",
        )
    ]
