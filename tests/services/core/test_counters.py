"""Counters raised in the database: a step taken by another connection is never lost."""

from sqlalchemy import update

from portal.extensions import db
from portal.models import PaymentLink
from portal.services.core import counters
from tests import factories


def test_increment_counts_from_the_row_not_from_the_loaded_value(app):
    invoice, _ = factories.invoice_with_link()
    link = db.session.scalars(db.select(PaymentLink).filter_by(invoice_id=invoice.id)).one()
    assert link.failed_checks == 0
    # another worker raises the counter on its own connection; this session's copy is stale
    with db.engine.begin() as other:
        other.execute(update(PaymentLink).where(PaymentLink.id == link.id).values(failed_checks=4))
    assert link.failed_checks == 0
    assert counters.increment(link, "failed_checks") == 5
    assert link.failed_checks == 5
    assert counters.increment(link, "failed_checks") == 6
    db.session.commit()
    with db.engine.connect() as other:
        stored = other.scalar(db.select(PaymentLink.failed_checks).filter_by(id=link.id))
    assert stored == 6


def test_increment_touches_only_its_own_row(app):
    first, _ = factories.invoice_with_link()
    second, _ = factories.invoice_with_link()
    links = {
        link.invoice_id: link
        for link in db.session.scalars(db.select(PaymentLink).order_by(PaymentLink.id))
    }
    counters.increment(links[first.id], "failed_checks")
    db.session.commit()
    db.session.expire_all()
    assert (links[first.id].failed_checks, links[second.id].failed_checks) == (1, 0)
