"""The audit log: who did what, with which data, and an invoice's timeline in order."""

from portal.extensions import db
from portal.models import AuditEvent
from portal.services.core import audit
from portal.services.core.audit import SYSTEM, Actor
from tests import factories


def test_an_event_records_the_actor_and_its_data(app):
    invoice = factories.invoice(factories.patient(factories.practice()))
    staff = Actor("staff", "staff:7", "2001:db8::1")
    event = audit.record(
        "hold.set",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=staff,
        kind="hold",
        note="perché",
        amount_minor=0,
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(AuditEvent, event.id)
    assert (stored.action, stored.actor_kind, stored.actor_ref, stored.ip_address) == (
        "hold.set",
        "staff",
        "staff:7",
        "2001:db8::1",
    )
    assert stored.data == {"kind": "hold", "note": "perché", "amount_minor": 0}
    assert stored.created_at is not None


def test_the_system_actor_has_no_reference_or_address(app):
    practice = factories.practice()
    event = audit.record("discount_policy.updated", practice_id=practice.id, actor=SYSTEM)
    db.session.flush()
    assert (event.actor_kind, event.actor_ref, event.ip_address, event.invoice_id) == (
        "system",
        None,
        None,
        None,
    )
    assert event.data == {}


def test_the_timeline_is_the_invoice_events_oldest_first(app):
    practice = factories.practice()
    first = factories.invoice(factories.patient(practice), number="2026-0001")
    second = factories.invoice(factories.patient(practice), number="2026-0002")
    before = [e.action for e in audit.timeline(first.id)]
    for action, invoice in (("link.sent", first), ("link.sent", second), ("invoice.paid", first)):
        audit.record(action, practice_id=practice.id, invoice_id=invoice.id, actor=SYSTEM)
    audit.record("practice.only", practice_id=practice.id, actor=SYSTEM)
    db.session.commit()
    assert [e.action for e in audit.timeline(first.id)] == [*before, "link.sent", "invoice.paid"]
    ids = [e.id for e in audit.timeline(first.id)]
    assert ids == sorted(ids)
    assert all(e.invoice_id == second.id for e in audit.timeline(second.id))
    assert audit.timeline(999999) == []
