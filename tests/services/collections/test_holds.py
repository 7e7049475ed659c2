"""Staff holds and disputes: either stops the reminders of an open invoice until lifted, each
with a note saying why."""

import pytest

from portal.extensions import db
from portal.models import AuditEvent, CollectionState
from portal.models.collection_state import Hold
from portal.services.billing import money
from portal.services.collections import holds
from portal.services.collections.holds import HoldRefused
from portal.services.core.audit import SYSTEM
from tests import factories


def an_invoice(number="H-1"):
    return factories.invoice(factories.patient(factories.practice()), number=number)


def events(invoice, action):
    query = db.select(AuditEvent).filter_by(invoice_id=invoice.id, action=action)
    return [e.data for e in db.session.scalars(query.order_by(AuditEvent.id))]


def test_a_hold_then_a_dispute_replace_each_other_and_are_audited(app):
    invoice = an_invoice()
    state = holds.set_hold(invoice, Hold.HOLD, "  Insurance claim pending ", SYSTEM)
    db.session.commit()
    assert (state.hold, state.hold_note) == ("hold", "Insurance claim pending")
    holds.set_hold(invoice, Hold.DISPUTE, "Patient contests line 2", SYSTEM, alert_id=7)
    db.session.commit()
    assert holds.overview(invoice).hold == Hold.DISPUTE
    assert events(invoice, "hold.set") == [
        {"kind": "hold", "previous": None, "note": "Insurance claim pending"},
        {"kind": "dispute", "previous": "hold", "note": "Patient contests line 2", "alert_id": 7},
    ]


def test_lifting_clears_the_hold_and_records_what_was_lifted(app):
    invoice = an_invoice()
    holds.set_hold(invoice, Hold.DISPUTE, "Contested", SYSTEM)
    state = holds.release(invoice, "Resolved by phone", SYSTEM)
    db.session.commit()
    assert (state.hold, state.hold_note) == (None, None)
    assert holds.overview(invoice).hold is None
    assert events(invoice, "hold.released") == [{"kind": "dispute", "note": "Resolved by phone"}]
    with pytest.raises(HoldRefused) as refused:
        holds.release(invoice, "Again", SYSTEM)
    assert str(refused.value) == "This invoice is not on hold."


@pytest.mark.parametrize(
    ("kind", "note", "message"),
    [
        ("pause", "Why", "Choose hold or dispute."),
        (Hold.HOLD, "   ", "Write a note saying why."),
        (Hold.HOLD, "n" * 301, "The note is too long (300 characters at most)."),
    ],
)
def test_a_hold_needs_a_known_kind_and_a_short_note(app, kind, note, message):
    invoice = an_invoice()
    with pytest.raises(HoldRefused) as refused:
        holds.set_hold(invoice, kind, note, SYSTEM)
    assert str(refused.value) == message
    assert db.session.get(CollectionState, invoice.id) is None


def test_only_an_open_invoice_is_put_on_hold(app):
    invoice = an_invoice()
    money.record_desk_payment(invoice, 15450, "cash", SYSTEM)
    with pytest.raises(HoldRefused) as refused:
        holds.set_hold(invoice, Hold.HOLD, "Why", SYSTEM)
    assert str(refused.value) == "Only an open invoice can be put on hold or disputed."


def test_an_invoice_never_held_has_an_empty_overview(app):
    overview = holds.overview(an_invoice())
    assert (overview.state, overview.hold, overview.reminders, overview.calls) == (
        None,
        None,
        [],
        [],
    )
