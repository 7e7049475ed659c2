"""Lockouts read back for the alerts sweep: only the practice's open invoices, only links
with a failure in the period, and every earlier failure counted toward a lock."""

from datetime import datetime, timedelta

from portal.extensions import db
from portal.models import PaymentLink, VerificationAttempt
from portal.services.access.verification import Policy
from portal.services.billing import money
from portal.services.collections import lockouts
from portal.services.core.audit import SYSTEM
from tests import factories

DAY = datetime(2026, 3, 29)  # the night Rome's clocks go forward: naive UTC is unaffected
POLICY = Policy(max_failures=3)


def link_of(invoice) -> PaymentLink:
    return db.session.scalars(db.select(PaymentLink).filter_by(invoice_id=invoice.id)).one()


def attempts(link, *moments, succeeded=False):
    for moment in moments:
        db.session.add(
            VerificationAttempt(
                link_id=link.id, ip_address="203.0.113.5", succeeded=succeeded, created_at=moment
            )
        )
    db.session.flush()


def hours(*values):
    return [DAY + timedelta(hours=h) for h in values]


def test_a_lock_in_the_period_counts_the_failures_before_it(app):
    invoice, _ = factories.invoice_with_link()
    link = link_of(invoice)
    attempts(link, *hours(-30, -2))  # two failures before the period
    attempts(link, *hours(1), succeeded=True)  # a right answer does not reset the count
    attempts(link, *hours(3, 4, 5, 6))
    found = lockouts.link_locks(invoice.practice_id, DAY, DAY + timedelta(days=1), POLICY)
    assert found == {(invoice.id, link.id): hours(3, 6)}


def test_failures_at_or_after_until_are_left_out_and_since_is_inclusive(app):
    invoice, _ = factories.invoice_with_link()
    link = link_of(invoice)
    attempts(link, *hours(0, 1, 2))
    assert lockouts.link_locks(invoice.practice_id, DAY, DAY + timedelta(hours=2), POLICY) == {
        (invoice.id, link.id): []
    }
    assert lockouts.link_locks(
        invoice.practice_id, DAY, DAY + timedelta(hours=2, seconds=1), POLICY
    ) == {(invoice.id, link.id): hours(2)}
    # a period after the last failure finds nothing, though the link was locked before it
    later = DAY + timedelta(days=1)
    assert lockouts.link_locks(invoice.practice_id, later, later + timedelta(days=1), POLICY) == {}


def test_only_the_practice_open_invoices_count(app):
    mine, _ = factories.invoice_with_link()
    theirs, _ = factories.invoice_with_link()
    paid, _ = factories.invoice_with_link()
    for invoice in (mine, theirs, paid):
        attempts(link_of(invoice), *hours(1, 2, 3))
    money.record_desk_payment(paid, 15450, "cash", SYSTEM)
    db.session.flush()
    window = (DAY, DAY + timedelta(days=1), POLICY)
    assert lockouts.link_locks(mine.practice_id, *window) == {(mine.id, link_of(mine).id): hours(3)}
    assert lockouts.link_locks(paid.practice_id, *window) == {}
    assert list(lockouts.link_locks(theirs.practice_id, *window)) == [
        (theirs.id, link_of(theirs).id)
    ]
