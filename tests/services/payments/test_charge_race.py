"""Exactly once, by the database: many `jobs run-due` processes and two Huey consumers (on a
Redis of their own) running the day's work at once over plans with installments due, against
a real PostgreSQL and SQLite."""

import time
from datetime import date

import pytest

from portal.extensions import db
from portal.models import (
    ChargeAttempt,
    Installment,
    InstallmentReminder,
    JobLease,
    LedgerEntry,
    OutboxMessage,
    Payment,
)
from tests.deploy.stack import Redis
from tests.services.plans.test_plans import pay_down_payment, signed_plan
from tests.support import forks, stripe_js, workers
from tests.support.stripe_proxy import StripeProxy

pytestmark = pytest.mark.stripe
REPETITIONS = 2
#: the day of each race: every plan's installment 1 and 2 are due, then 3 (and the reminder
#: plan's first)
RACE_DAYS = (date(2026, 3, 31), date(2026, 4, 30))
#: the reminder plan's installments fall two days after each race day
REMINDER_START = date(2026, 3, 2)


def intents_at_stripe(base: str, customers: set[str]) -> list[dict]:
    found, after = [], None
    while True:
        page = stripe_js.get(
            base, "/v1/payment_intents?limit=100" + (f"&starting_after={after}" if after else "")
        )
        found += [pi for pi in page["data"] if pi["customer"] in customers]
        if not page["has_more"]:
            return found
        after = page["data"][-1]["id"]


def test_workers_racing_charge_each_installment_once(stripe_app, tmp_path):
    base = stripe_app.config["STRIPE_API_BASE"]
    plans = []
    for n in range(4):
        invoice, plan, saved = signed_plan(stripe_app, locale="en", email=f"race{n}@example.org")
        assert pay_down_payment(invoice, plan, saved).status == "succeeded"
        plans.append(plan)
    invoice, later, saved = signed_plan(
        stripe_app, locale="en", start=REMINDER_START, email="later@example.org"
    )
    assert pay_down_payment(invoice, later, saved).status == "succeeded"
    customers = {p.invoice.patient.stripe_customer_id for p in [*plans, later]}
    redis = Redis(tmp_path)
    redis.start()
    try:
        with StripeProxy(base) as proxy:
            # every create is answered 0.2 s late, so the workers' charges overlap
            proxy.reset("delay_answer", delay=0.2)
            env = workers.env_for(
                stripe_app,
                proxy.url,
                REDIS_URL=redis.url,
                # the consumers' own hourly run would charge by the real date: runs are queued
                RUN_DUE_SCHEDULE="off",
                SALDO_INSTANCE_PATH=str(tmp_path / "instance"),
            )
            queue = workers.ConsumerQueue(redis.url)
            with workers.consumers(env, 2, tmp_path), forks.Forker(env) as forker:
                for repetition, day in enumerate(RACE_DAYS):
                    race(forker, queue, day, hour=9 + repetition, due=8 if repetition == 0 else 5)
                    check_books(base, customers, plans, later, paid_up_to=repetition + 2)
    finally:
        redis.stop()
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(JobLease.id))) == REPETITIONS
    # the reminder plan: one reminder per installment before it, charged at the next race
    reminders = db.session.scalars(db.select(InstallmentReminder.sent_on)).all()
    assert sorted(reminders) == list(RACE_DAYS)
    upcoming = [
        m
        for m in db.session.scalars(
            db.select(OutboxMessage).filter_by(recipient="later@example.org")
        )
        if m.subject.startswith("Your next installment on")
    ]
    assert len(upcoming) == REPETITIONS


def race(forker, queue: workers.ConsumerQueue, day: date, hour: int, due: int) -> None:
    """Four `run-due` processes (forked from one booted parent, as gunicorn forks its
    workers), the hour's periodic work queued twice for the consumers (by `run-due
    --on-workers` and from here) and two free runs of the day queued from here, all at once:
    `due` installments charged. What is queued from here is queued once the first charge of
    the day is claimed, so the consumers' runs overlap the processes' charging."""
    claims = claimed()
    started = [workers.run_due(forker.env, day, forker) for _ in range(4)]
    started.append(workers.on_workers(forker.env, day, hour=hour, forker=forker))
    deadline = time.monotonic() + 120
    while claimed() == claims and time.monotonic() < deadline:
        if any(process.poll() is not None for process in started):
            break  # one ended before charging: `finish` shows why
        time.sleep(0.02)
    queued = [(queue.run_due(day, hour), hour), (queue.run_due(day), None)]
    queued.append((queue.run_due(day), None))
    outputs = [workers.finish(process) for process in started]
    db.session.rollback()
    outputs += [queue.report(result, day, at_hour) for result, at_hour in queued]
    # the hour's work ran on one consumer; the other copy found its lease taken
    skipped = f"{day.isoformat()}: skipped (another worker had the hour"
    assert [o.startswith(skipped) for o in outputs[4:6]].count(True) == 1
    # every installment due was charged by exactly one of the runs
    assert sum(workers.charged(o) for o in outputs) == due
    assert [o.endswith("; 0 payments stuck in flight\n") for o in outputs] == [True] * 8, outputs


def claimed() -> int:
    """How many charges have been claimed so far (a new snapshot each time)."""
    count = db.session.scalar(db.select(db.func.count(ChargeAttempt.id)))
    db.session.rollback()
    return count


def check_books(base, customers, plans, later, paid_up_to: int):
    """Each plan has exactly its installments up to `paid_up_to` paid, each once: one
    PaymentIntent at Stripe, one payment, one claim, one ledger entry, one receipt."""
    db.session.expire_all()
    for plan in plans:
        assert [i.status for i in plan.installments] == ["paid"] * (paid_up_to + 1) + [
            "scheduled"
        ] * (6 - paid_up_to)
        assert [i.attempts for i in plan.installments[1:]] == [1] * paid_up_to + [0] * (
            6 - paid_up_to
        )
    expected = {p.invoice_id: paid_up_to + 1 for p in plans} | {later.invoice_id: paid_up_to - 1}
    for invoice_id, count in expected.items():
        payments = db.session.scalars(db.select(Payment).filter_by(invoice_id=invoice_id)).all()
        assert [p.status for p in payments] == ["succeeded"] * count
        assert len({p.installment_id for p in payments}) == count
        entries = db.session.scalars(
            db.select(LedgerEntry).filter_by(invoice_id=invoice_id, kind="payment")
        ).all()
        assert sorted(e.payment_id for e in entries) == sorted(p.id for p in payments)
        recipient = payments[0].invoice.patient.email
        receipts = db.session.scalars(
            db.select(OutboxMessage.subject).filter_by(recipient=recipient)
        ).all()
        assert len([s for s in receipts if s.startswith("Payment received")]) == count
    intents = intents_at_stripe(base, customers)
    assert len(intents) == sum(expected.values())
    assert all(pi["status"] == "succeeded" for pi in intents)
    claims = db.session.scalars(db.select(ChargeAttempt)).all()
    assert sorted(pi["metadata"]["saldo_charge"] for pi in intents) == sorted(c.key for c in claims)
    installments = db.session.scalars(
        db.select(Installment).where(Installment.status == "processing")
    ).all()
    assert installments == []
