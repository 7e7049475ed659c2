"""Delinquency alerts: each kind raised exactly when its condition holds, once, and resolved
by the sweep when it no longer holds; on SQLite and PostgreSQL, and against localstripe."""

import json
import re
import urllib.request
from datetime import datetime, time, timedelta

import pytest

from portal import gateways
from portal.clock import practice_today, utcnow
from portal.extensions import db
from portal.gateways.stripe_gateway import GatewayUnavailable
from portal.models import (
    Alert,
    AuditEvent,
    CallTask,
    Delivery,
    Installment,
    Plan,
    PlanPolicy,
    VerificationAttempt,
)
from portal.services.access import links
from portal.services.billing import money
from portal.services.collections import alert_actions, alert_cards, alert_detection
from portal.services.collections.alerts import raise_due
from portal.services.core import jobs
from portal.services.core.audit import SYSTEM, Actor
from portal.services.payments import payments, saved_methods
from tests import factories
from tests.services.plans.test_plans import pay_down_payment, signed_plan
from tests.support import stripe_js

STAFF = Actor("staff", "1", "192.0.2.1")


# -- helpers ------------------------------------------------------------------------------------


def open_invoice(number="2026-0001", practice=None, **kwargs):
    """An open invoice of 154.50, issued today (due in 30 days) unless told otherwise."""
    practice = practice or factories.practice()
    kwargs.setdefault("today", practice_today(practice))
    return factories.invoice(factories.patient(practice), number=number, **kwargs)


def today_of(invoice):
    return practice_today(invoice.practice)


def plan_for(invoice, steps, *, method=None, payment_method=None, status="active", amount=1000):
    """A signed plan straight into the tables: `steps` is [(due_on, status), ...], 0 being
    the down payment, every installment `amount`."""
    plan = Plan(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        status=status,
        currency=invoice.currency,
        total_minor=amount * len(steps),
        down_payment_minor=amount,
        installment_count=len(steps) - 1,
        amount_financed_minor=amount * (len(steps) - 1),
        agreement_version="test",
        language="it",
        method=method,
        stripe_payment_method_id=payment_method,
    )
    for sequence, (due_on, status_) in enumerate(steps):
        plan.installments.append(
            Installment(sequence=sequence, due_on=due_on, amount_minor=amount, status=status_)
        )
    db.session.add(plan)
    db.session.commit()
    return plan


def steps(today, *pairs):
    """[(due_on, status), ...] from (days from `today`, status) pairs."""
    return [(today + timedelta(days=offset), status) for offset, status in pairs]


def alerts_of(invoice, kind=None, state="open"):
    db.session.expire_all()
    query = db.select(Alert).filter_by(invoice_id=invoice.id).order_by(Alert.id)
    if kind:
        query = query.filter_by(kind=kind)
    if state == "open":
        query = query.where(Alert.resolved_at.is_(None))
    elif state == "resolved":
        query = query.where(Alert.resolved_at.is_not(None))
    return db.session.scalars(query).all()


def kinds(invoice):
    return sorted(a.kind for a in alerts_of(invoice))


def actions(invoice):
    query = db.select(AuditEvent.action).filter_by(invoice_id=invoice.id).order_by(AuditEvent.id)
    return [a for a in db.session.scalars(query) if a.startswith("alert.")]


def start_of(day, invoice, hours=0):
    """The naive UTC moment `hours` into the practice's `day`."""
    from zoneinfo import ZoneInfo

    local = datetime.combine(day, time(), tzinfo=ZoneInfo(invoice.practice.timezone))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) + timedelta(hours=hours)


@pytest.fixture(autouse=True)
def _fresh_expiry_cache(monkeypatch):
    monkeypatch.setattr(alert_cards, "_expiry_cache", {})


# -- late installment, failed charge, skipped month -------------------------------------------


def test_late_installment_is_raised_once_and_cleared_when_paid(app):
    invoice = open_invoice()
    today = today_of(invoice)
    plan = plan_for(
        invoice,
        steps(today, (-40, "paid"), (-1, "scheduled"), (29, "scheduled")),
    )
    assert raise_due(today - timedelta(days=1)) == 0  # due that day: not late yet
    assert raise_due(today) == 1
    [alert] = alerts_of(invoice)
    assert alert.kind == "late_installment" and alert.raised_on == today
    assert alert.data["installment"] == 1 and alert.data["count"] == 1
    assert alert.data["due_on"] == (today - timedelta(days=1)).isoformat()
    assert raise_due(today) == 0
    assert raise_due(today + timedelta(days=1)) == 0  # still open: not raised again
    assert len(alerts_of(invoice, state="all")) == 1
    plan.installments[1].status = "paid"
    db.session.commit()
    assert raise_due(today + timedelta(days=1)) == 0
    [resolved] = alerts_of(invoice, state="resolved")
    assert resolved.resolved_at is not None and resolved.data["resolution"] == "cleared"
    assert actions(invoice) == ["alert.raised", "alert.cleared"]


def test_a_processing_installment_is_not_late(app):
    invoice = open_invoice()
    today = today_of(invoice)
    plan_for(
        invoice,
        steps(today, (-40, "paid"), (-3, "processing")),
    )
    assert raise_due(today) == 0


def test_failed_charge_carries_the_code_and_the_next_attempt(app):
    invoice = open_invoice()
    today = today_of(invoice)
    plan = plan_for(
        invoice,
        [
            (today - timedelta(days=30), "paid"),
            (today, "failed"),
            (today + timedelta(30), "scheduled"),
        ],
    )
    first = plan.installments[1]
    first.failure_code, first.attempts = "card_declined", 1
    first.next_attempt_on = today + timedelta(days=3)
    db.session.commit()
    assert raise_due(today) == 1
    [alert] = alerts_of(invoice)
    assert alert.kind == "failed_charge"
    assert alert.data["failure_code"] == "card_declined"
    assert alert.data["next_attempt_on"] == (today + timedelta(days=3)).isoformat()
    assert alert.data["attempts"] == 1
    # the last retry fails too: the same alert, brought up to date; now it is late as well
    first.attempts, first.next_attempt_on, first.failure_code = 4, None, "insufficient_funds"
    plan.status = "past_due"
    db.session.commit()
    assert raise_due(today + timedelta(days=7)) == 1
    assert kinds(invoice) == ["failed_charge", "late_installment"]
    [failed] = alerts_of(invoice, "failed_charge")
    assert failed.raised_on == today
    assert failed.data["next_attempt_on"] is None
    assert failed.data["failure_code"] == "insufficient_funds"
    # the plan is cancelled: nothing is owed by installments any more
    plan.status = "cancelled"
    for installment in plan.installments[1:]:
        installment.status = "cancelled"
    db.session.commit()
    raise_due(today + timedelta(days=8))
    assert kinds(invoice) == []


def test_skipped_month_after_the_last_retry_day_then_a_short_payment(app):
    invoice = open_invoice()
    today = today_of(invoice)
    db.session.add(PlanPolicy(practice_id=invoice.practice_id, retry_days="2,4"))
    due = today - timedelta(days=4)
    plan_for(invoice, [(due - timedelta(days=30), "paid"), (due, "failed")])
    raise_due(today)  # the last retry day is today: not skipped yet
    assert kinds(invoice) == ["failed_charge", "late_installment"]
    tomorrow = today + timedelta(days=1)
    assert raise_due(tomorrow) == 1
    [skipped] = alerts_of(invoice, "skipped_cycle")
    assert skipped.data["last_retry_on"] == today.isoformat()
    assert skipped.data["installment"] == 1
    # half the installment at the desk: no longer a month without payment, but short
    money.record_desk_payment(invoice, 400, "cash", STAFF)
    assert raise_due(tomorrow) == 1
    assert kinds(invoice) == ["failed_charge", "late_installment", "short_payment"]
    [short] = alerts_of(invoice, "short_payment")
    assert short.data["case"] == "plan"
    assert (short.data["paid_minor"], short.data["short_minor"]) == (400, 600)
    money.record_desk_payment(invoice, 600, "cash", STAFF)
    raise_due(tomorrow)
    assert kinds(invoice) == ["failed_charge", "late_installment"]


def test_payments_of_other_installments_do_not_fill_a_skipped_month(app):
    invoice = open_invoice()
    today = today_of(invoice)
    plan = plan_for(
        invoice,
        steps(today, (-60, "paid"), (-20, "failed"), (-1, "scheduled")),
    )
    payment = money.record_desk_payment(invoice, 1000, "card_terminal", STAFF)
    payment.installment_id = plan.installments[2].id  # it paid the next month
    plan.installments[2].status = "paid"
    db.session.commit()
    raise_due(today)
    assert "skipped_cycle" in kinds(invoice)
    assert "short_payment" not in kinds(invoice)


# -- partial payment at the desk ----------------------------------------------------------------


def test_desk_payment_leaving_a_balance_after_the_due_date(app):
    practice = factories.practice()
    today = practice_today(practice)
    late = open_invoice("late", practice, today=today - timedelta(days=35))
    current = open_invoice("current", practice, today=today - timedelta(days=5))
    untouched = open_invoice("untouched", practice, today=today - timedelta(days=35))
    money.record_desk_payment(late, 5000, "cash", STAFF)
    money.record_desk_payment(current, 5000, "cheque", STAFF)
    assert raise_due(late.due_on) == 0  # not yet past the due date
    assert raise_due(today) == 1
    [short] = alerts_of(late)
    assert short.kind == "short_payment" and short.data["case"] == "desk"
    assert (short.data["paid_minor"], short.data["balance_minor"]) == (5000, 15450 - 5000)
    assert short.data["due_on"] == late.due_on.isoformat()
    assert kinds(current) == [] and kinds(untouched) == []
    assert raise_due(today) == 0
    money.record_desk_payment(late, 15450 - 5000, "cash", STAFF)
    assert late.status == "paid"
    raise_due(today)
    assert kinds(late) == []
    assert alerts_of(late, state="resolved")[0].data["resolution"] == "cleared"


# -- links ----------------------------------------------------------------------------------


def test_link_never_opened_after_n_days(app):
    practice = factories.practice()
    today = practice_today(practice)
    sent_long_ago = open_invoice("a", practice)
    link, _ = links.issue(sent_long_ago, SYSTEM, now=utcnow() - timedelta(days=8))
    mailed = open_invoice("b", practice)
    links.issue(mailed, SYSTEM)  # the link is new, but the first message went out 9 days ago
    db.session.add(
        Delivery(
            practice_id=practice.id,
            invoice_id=mailed.id,
            purpose="link",
            channel="email",
            recipient="giulia@example.org",
            locale="it",
            body="",
            status="sent",
            sent_at=utcnow() - timedelta(days=9),
        )
    )
    recent = open_invoice("c", practice)
    links.issue(recent, SYSTEM, now=utcnow() - timedelta(days=3))
    db.session.commit()
    app.config["ALERT_LINK_UNOPENED_DAYS"] = 10
    assert raise_due(today) == 0
    app.config["ALERT_LINK_UNOPENED_DAYS"] = 7
    assert raise_due(today) == 2
    [alert] = alerts_of(sent_long_ago)
    assert alert.kind == "link_not_opened"
    assert alert.data["first_sent_on"] == (today - timedelta(days=8)).isoformat()
    assert kinds(mailed) == ["link_not_opened"] and kinds(recent) == []
    assert raise_due(today) == 0
    links.mark_opened(link, SYSTEM)
    money.void(mailed, "sent in error", STAFF)
    raise_due(today)
    assert kinds(sent_long_ago) == [] and kinds(mailed) == []
    del app.config["ALERT_LINK_UNOPENED_DAYS"]  # the default in code: 7
    assert alert_detection.DEFAULT_LINK_UNOPENED_DAYS == 7


# -- verification lockouts ------------------------------------------------------------------


def fail(link, moment, count, ip="203.0.113.5", succeeded=False):
    for minute in range(count):
        db.session.add(
            VerificationAttempt(
                link_id=link.id,
                ip_address=ip,
                succeeded=succeeded,
                created_at=moment + timedelta(minutes=minute),
            )
        )
    db.session.commit()


def test_verification_lockout_is_raised_once_per_day_and_clears_on_verification(app):
    practice = factories.practice()
    invoice = open_invoice("locked", practice)
    today = practice_today(practice)
    link, _ = links.issue(invoice, SYSTEM)
    almost = open_invoice("almost", practice)
    slow = open_invoice("slow", practice)
    other, _ = links.issue(almost, SYSTEM)
    spread, _ = links.issue(slow, SYSTEM)
    fail(link, start_of(today, invoice, hours=10), 5)
    fail(other, start_of(today, invoice, hours=10), 4)  # one short of the limit
    for hour in range(5):  # five failures an hour apart lock the link as five in a row do
        fail(spread, start_of(today, invoice, hours=9 + hour), 1)
    assert raise_due(today) == 2
    [alert] = alerts_of(invoice)
    assert alert.kind == "verification_locked"
    assert alert.data["locked_on"] == today.isoformat() and alert.data["failures"] == 5
    assert kinds(almost) == [] and kinds(slow) == ["verification_locked"]
    [slow_alert] = alerts_of(slow)
    assert slow_alert.data["locked_at"] == start_of(today, invoice, hours=13).isoformat()
    assert raise_due(today) == 0
    assert raise_due(today + timedelta(days=1)) == 0
    assert raise_due(today + timedelta(days=4)) == 0  # the lock expired; still not verified
    assert len(alerts_of(invoice)) == 1
    alert_actions.dismiss(alert, STAFF)
    db.session.commit()
    assert raise_due(today + timedelta(days=1)) == 0  # that day's lockout was dismissed
    # locked again three days later: a new day of lockout, a new alert
    later = today + timedelta(days=3)
    fail(link, start_of(later, invoice, hours=20), 6)
    assert raise_due(later) == 1
    [again] = alerts_of(invoice)
    # unlocked meanwhile: the fifth failure of the new count locked it again (the sixth
    # starts the next count)
    assert again.data["locked_on"] == later.isoformat() and again.data["failures"] == 5
    assert (
        again.data["locked_at"]
        == (start_of(later, invoice, hours=20) + timedelta(minutes=4)).isoformat()
    )
    fail(link, start_of(later, invoice, hours=23), 1, succeeded=True)
    raise_due(later + timedelta(days=1))
    assert kinds(invoice) == []
    assert [a.data["resolution"] for a in alerts_of(invoice, state="resolved")] == [
        "dismissed",
        "cleared",
    ]


def test_a_lockout_just_before_midnight_is_caught_the_next_day(app):
    invoice = open_invoice()
    today = today_of(invoice)
    link, _ = links.issue(invoice, SYSTEM)
    fail(link, start_of(today, invoice, hours=23) + timedelta(minutes=50), 5)
    assert raise_due(today + timedelta(days=1)) == 1
    [alert] = alerts_of(invoice)
    assert alert.data["locked_on"] == today.isoformat()
    assert alert.raised_on == today + timedelta(days=1)


# -- promises to pay ------------------------------------------------------------------------


def promise(invoice, on, amount, completed_at=None):
    task = CallTask(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        due_on=on - timedelta(days=7),
        position=1,
        status="done",
        outcome="promise",
        promise_on=on,
        promise_amount_minor=amount,
        completed_at=completed_at or utcnow(),
    )
    db.session.add(task)
    db.session.commit()
    return task


def test_missed_promise_until_the_promised_amount_comes_in(app):
    invoice = open_invoice()
    today = today_of(invoice)
    task = promise(invoice, today - timedelta(days=1), 5000)
    assert raise_due(today - timedelta(days=1)) == 0  # the promised day itself
    assert raise_due(today) == 1
    [alert] = alerts_of(invoice)
    assert alert.kind == "missed_promise"
    assert alert.data["task_id"] == task.id and alert.data["promised_minor"] == 5000
    assert alert.data["paid_minor"] == 0
    money.record_desk_payment(invoice, 3000, "cash", STAFF)
    assert raise_due(today) == 0
    [alert] = alerts_of(invoice)
    assert alert.data["paid_minor"] == 3000
    money.record_desk_payment(invoice, 2000, "cash", STAFF)
    raise_due(today)
    assert kinds(invoice) == []


def test_a_promise_without_amount_is_the_whole_balance_and_a_newer_one_supersedes_it(app):
    invoice = open_invoice()
    today = today_of(invoice)
    promise(invoice, today - timedelta(days=2), None)
    money.record_desk_payment(invoice, 10000, "cash", STAFF)
    raise_due(today)
    [alert] = alerts_of(invoice)
    assert alert.data["promised_minor"] == 15450 and alert.data["paid_minor"] == 10000
    promise(invoice, today + timedelta(days=5), None)
    raise_due(today)
    assert kinds(invoice) == []


# -- cards that expire before the plan ends ---------------------------------------------------


class FakeCards:
    def __init__(self, expiries):
        self.expiries, self.calls = expiries, []

    def card_expiry(self, payment_method_id):
        self.calls.append(payment_method_id)
        value = self.expiries[payment_method_id]
        if isinstance(value, Exception):
            raise value
        return value


def test_card_expiring_before_the_last_installment(app, monkeypatch):
    invoice = open_invoice()
    today = today_of(invoice)
    last = today + timedelta(days=200)
    plan = plan_for(
        invoice,
        steps(today, (-10, "paid"), (20, "scheduled"), (200, "scheduled")),
        method="card",
        payment_method="pm_short",
    )
    soon = today + timedelta(days=40)
    cards = FakeCards({"pm_short": (soon.month, soon.year), "pm_long": (12, last.year + 1)})
    monkeypatch.setattr(gateways, "stripe", lambda practice=None: cards)
    assert raise_due(today) == 1
    [alert] = alerts_of(invoice)
    assert alert.kind == "card_expiring"
    assert (alert.data["exp_month"], alert.data["exp_year"]) == (soon.month, soon.year)
    assert alert.data["last_due_on"] == last.isoformat()
    assert raise_due(today) == 0
    assert cards.calls == ["pm_short"]  # a card's expiry is asked once a day, not per sweep
    plan.stripe_payment_method_id = "pm_long"  # the patient changed card
    db.session.commit()
    raise_due(today)
    assert kinds(invoice) == []
    assert cards.calls == ["pm_short", "pm_long"]


def test_card_check_is_skipped_when_the_gateway_cannot_tell(app, monkeypatch):
    invoice = open_invoice()
    today = today_of(invoice)
    plan = plan_for(
        invoice,
        steps(today, (-10, "paid"), (300, "scheduled")),
        method="card",
        payment_method="pm_a",
    )
    cards = FakeCards({"pm_a": (1, 2020), "pm_b": GatewayUnavailable("down")})
    monkeypatch.setattr(gateways, "stripe", lambda practice=None: cards)
    assert raise_due(today) == 1
    plan.stripe_payment_method_id = "pm_b"
    db.session.commit()
    assert raise_due(today) == 0
    assert kinds(invoice) == ["card_expiring"]  # unknown: left as it was
    monkeypatch.setattr(
        gateways, "stripe", lambda practice=None: object()
    )  # a gateway without the method
    assert raise_due(today) == 0
    assert kinds(invoice) == ["card_expiring"]
    plan.method = "sepa_debit"
    db.session.commit()
    raise_due(today)
    assert kinds(invoice) == []


# -- general rules ----------------------------------------------------------------------------


def test_dismissed_alert_stays_quiet_for_its_subject_but_not_for_the_next(app):
    invoice = open_invoice()
    today = today_of(invoice)
    plan = plan_for(
        invoice,
        steps(today, (-60, "paid"), (-2, "scheduled"), (28, "scheduled")),
    )
    raise_due(today)
    [alert] = alerts_of(invoice)
    alert_actions.dismiss(alert, STAFF)
    db.session.commit()
    assert alert.data["resolution"] == "dismissed" and alert.data["resolved_by"] == "1"
    assert raise_due(today) == 0 and raise_due(today + timedelta(days=5)) == 0
    plan.installments[1].status = "paid"
    db.session.commit()
    assert raise_due(today + timedelta(days=29)) == 1  # the next installment is late
    [fresh] = alerts_of(invoice)
    assert fresh.data["installment"] == 2
    with pytest.raises(alert_actions.AlertRefused):
        alert_actions.dismiss(alert, STAFF)
    assert actions(invoice) == ["alert.raised", "alert.dismissed", "alert.raised"]


def test_closed_invoices_clear_every_alert_and_practices_are_kept_apart(app):
    first = open_invoice("one")
    second = open_invoice("two")
    today = today_of(first)
    for invoice in (first, second):
        promise(invoice, today - timedelta(days=1), 1000)
    assert raise_due(today) == 2
    assert {a.practice_id for a in alerts_of(first)} == {first.practice_id}
    assert {a.practice_id for a in alerts_of(second)} == {second.practice_id}
    money.write_off(first, 15450, "hardship", STAFF)
    raise_due(today)
    assert kinds(first) == [] and kinds(second) == ["missed_promise"]


# -- a real plan on localstripe -----------------------------------------------------------------


@pytest.mark.stripe
def test_declined_plan_raises_failed_late_and_skipped_then_clears_when_paid(stripe_app):
    invoice, plan, _declining = signed_plan(stripe_app, card="4000000000000341", locale="en")
    good_seti, secret = saved_methods.prepare_setup(invoice, "card")
    stripe_js.confirm_card_setup(stripe_app.config["STRIPE_API_BASE"], secret, "4242424242424242")
    good = saved_methods.saved_method(invoice, good_seti)
    pay_down_payment(invoice, plan, good)
    db.session.expire_all()
    assert plan.status == "active"
    first = plan.installments[1]
    due = first.due_on
    assert raise_due(due - timedelta(days=1)) == 0  # card 12/2034 outlasts the plan
    report = jobs.run_due(due)  # the jobs raise alerts themselves
    assert report.alerts_raised == 1 and raise_due(due) == 0
    [failed] = alerts_of(invoice)
    assert failed.kind == "failed_charge" and failed.data["failure_code"]
    assert failed.data["next_attempt_on"] == (due + timedelta(days=3)).isoformat()
    assert raise_due(due + timedelta(days=1)) == 1
    assert kinds(invoice) == ["failed_charge", "late_installment"]
    for offset in (3, 5, 7):
        jobs.run_due(due + timedelta(days=offset))
        raise_due(due + timedelta(days=offset))
    db.session.expire_all()
    assert plan.status == "past_due"
    assert kinds(invoice) == ["failed_charge", "late_installment"]
    assert raise_due(due + timedelta(days=8)) == 1
    assert kinds(invoice) == ["failed_charge", "late_installment", "skipped_cycle"]
    [failed] = alerts_of(invoice, "failed_charge")
    assert failed.data["next_attempt_on"] is None and failed.data["attempts"] == 4
    # the patient pays the month with another card
    payments.charge(
        invoice,
        good,
        Actor("patient", "link:t"),
        amount_minor=first.amount_minor,
        installment_id=first.id,
    )
    db.session.expire_all()
    assert first.status == "paid" and plan.status == "active"
    assert raise_due(due + timedelta(days=9)) == 0
    assert kinds(invoice) == []
    assert len(alerts_of(invoice, state="resolved")) == 3


def setup_card(base, client_secret, month, year):
    """confirmCardSetup for 4242… with a chosen expiry (stripe_js always uses 12/2034)."""
    seti = re.match(r"^(seti_\w+)_secret_", client_secret).group(1)
    body = {
        "key": stripe_js.PUBLISHABLE_KEY,
        "use_stripe_sdk": True,
        "client_secret": client_secret,
        "payment_method_data": {
            "type": "card",
            "card": {
                "number": "4242424242424242",
                "exp_month": str(month),
                "exp_year": str(year),
                "cvc": "123",
            },
        },
    }
    request = urllib.request.Request(
        f"{base}/v1/setup_intents/{seti}/confirm",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.stripe
def test_card_expiring_against_localstripe(stripe_app):
    invoice, plan, saved = signed_plan(stripe_app, locale="it")
    pay_down_payment(invoice, plan, saved)
    db.session.expire_all()
    last_due = plan.installments[-1].due_on  # 2026-07-31
    day = plan.installments[1].due_on - timedelta(days=1)  # nothing is late yet
    assert raise_due(day) == 0
    seti, secret = saved_methods.prepare_setup(invoice, "card")
    setup_card(stripe_app.config["STRIPE_API_BASE"], secret, 3, last_due.year)
    short = saved_methods.saved_method(invoice, seti)
    plan.stripe_payment_method_id = short.payment_method_id
    db.session.commit()
    assert raise_due(day) == 1
    [alert] = alerts_of(invoice)
    assert alert.kind == "card_expiring"
    assert (alert.data["exp_month"], alert.data["exp_year"]) == (3, last_due.year)
    assert alert.data["payment_method_id"] == short.payment_method_id
    plan.stripe_payment_method_id = saved.payment_method_id
    db.session.commit()
    raise_due(day)
    assert kinds(invoice) == []
