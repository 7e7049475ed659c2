"""Writing many rows at once (COPY on PostgreSQL, multi-row INSERTs on SQLite): the rows as
given, the columns' Python defaults for what they leave out, and ids taken in advance."""

from datetime import datetime

from portal.extensions import db
from portal.models import AuditEvent
from portal.services.core import audit, bulk
from portal.services.core.audit import SYSTEM
from tests import factories

TABLE = AuditEvent.__table__


def events():
    query = db.select(AuditEvent).order_by(AuditEvent.id)
    return [(e.action, e.actor_kind, e.actor_ref, e.data) for e in db.session.scalars(query)]


def rows(practice, count, **extra):
    return [
        {
            "practice_id": practice.id,
            "action": f"bulk.{n}",
            "actor_kind": "system",
            "actor_ref": None,
            **extra,
        }
        for n in range(count)
    ]


def test_rows_are_written_with_their_values_and_json_and_nulls(app):
    practice = factories.practice()
    given = rows(practice, 3, data={"amount_minor": 1, "text": 'perché; "a"\tb\n'})
    given[1]["actor_ref"] = "cadence"
    bulk.write(TABLE, given)
    assert events() == [
        ("bulk.0", "system", None, {"amount_minor": 1, "text": 'perché; "a"\tb\n'}),
        ("bulk.1", "system", "cadence", {"amount_minor": 1, "text": 'perché; "a"\tb\n'}),
        ("bulk.2", "system", None, {"amount_minor": 1, "text": 'perché; "a"\tb\n'}),
    ]


def test_columns_left_out_get_their_python_defaults(app):
    practice = factories.practice()
    bulk.write(TABLE, rows(practice, 2))
    stored = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.data for e in stored] == [{}, {}]
    assert all(isinstance(e.created_at, datetime) for e in stored)


def test_nothing_to_write_is_no_statement(app):
    bulk.write(TABLE, [])
    assert bulk.with_ids(TABLE, []) == []
    assert events() == []


def test_ids_taken_in_advance_are_the_rows_ids_in_order(app):
    practice = factories.practice()
    audit.record("before", practice_id=practice.id, actor=SYSTEM)
    db.session.flush()
    ids = bulk.with_ids(TABLE, rows(practice, 4))
    assert len(ids) == 4 and ids == sorted(ids) and len(set(ids)) == 4
    by_id = dict(db.session.execute(db.select(AuditEvent.id, AuditEvent.action)).all())
    assert [by_id[i] for i in ids] == ["bulk.0", "bulk.1", "bulk.2", "bulk.3"]
    more = bulk.with_ids(TABLE, rows(practice, 2))
    assert min(more) > max(ids)
    # a row added the ordinary way afterwards takes an id of its own
    after = audit.record("after", practice_id=practice.id, actor=SYSTEM)
    db.session.flush()
    assert after.id not in {*ids, *more}
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(TABLE)) == 8
