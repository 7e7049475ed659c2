"""What the periodic work has left behind, per practice and for the installation."""

from datetime import timedelta
from itertools import count

from portal.extensions import db
from portal.models import Payment, PendingWork
from portal.services.core import backlog
from portal.services.core.backlog import Backlog
from portal.services.payments import reconcile
from tests import factories

_keys = count(1)


def work(practice, status="pending", attempts=0):
    db.session.add(
        PendingWork(
            practice_id=practice.id,
            kind="receipt",
            dedupe_key=f"backlog-{next(_keys)}",
            status=status,
            attempts=attempts,
        )
    )


def payment(invoice, status, created_at, intent):
    made = Payment(
        invoice_id=invoice.id,
        amount_minor=1000,
        currency="EUR",
        method="card",
        status=status,
        stripe_payment_intent_id=intent,
        created_at=created_at,
    )
    db.session.add(made)
    return made


def test_an_empty_installation_is_clear(app):
    found = backlog.of()
    assert found == Backlog(0, 0, 0, 0) and found.clear


def test_work_is_counted_by_state_per_practice_and_in_total(app):
    a, b = factories.practice(), factories.practice()
    for status, attempts in (("pending", 0), ("pending", 0), ("pending", 2), ("failed", 4)):
        work(a, status, attempts)
    work(a, "done", 1)  # finished work is not backlog
    work(b, "pending", 0)
    db.session.flush()
    assert backlog.of(a.id) == Backlog(queued=2, failing=1, given_up=1, stuck_payments=0)
    assert backlog.of(b.id) == Backlog(queued=1, failing=0, given_up=0, stuck_payments=0)
    assert backlog.of(b.id).clear  # queued work alone is not a problem
    assert backlog.of() == Backlog(queued=3, failing=1, given_up=1, stuck_payments=0)
    assert not backlog.of(a.id).clear


def test_payments_in_flight_past_the_reconciliation_wait_are_stuck(app):
    mine = factories.invoice(factories.patient(factories.practice()), number="M")
    other_practice = factories.practice()
    theirs = factories.invoice(factories.patient(other_practice), number="T")
    edge = reconcile.stale_before()
    old = edge - timedelta(hours=1)
    first = payment(mine, "processing", old - timedelta(minutes=1), "pi_a")
    db.session.flush()
    payment(mine, "succeeded", old, "pi_b")  # settled: not stuck
    db.session.flush()
    fresh = payment(theirs, "creating", edge + timedelta(days=1), "pi_c")
    db.session.flush()
    assert backlog.of(mine.practice_id).stuck_payments == 1
    assert backlog.of(other_practice.id).stuck_payments == 0
    assert backlog.of().stuck_payments == 1
    assert backlog.stuck_payments(mine.practice_id) == [first]
    assert backlog.stuck_payments(other_practice.id) == []
    fresh.created_at = old
    db.session.flush()
    assert backlog.stuck_payments(other_practice.id) == [fresh]
    assert not backlog.of(other_practice.id).clear
