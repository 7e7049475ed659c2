"""The owner's staff list with each account's locked state, and the staff layout's figures,
on SQLite and PostgreSQL."""

from datetime import datetime, timedelta

from sqlalchemy import event

from portal.extensions import db
from portal.models import BillQuestion
from portal.models.staff import LoginAttempt
from portal.services.core.audit import SYSTEM
from portal.services.practice import staff_auth, staff_nav, staff_roster
from portal.services.practice.staff_nav import StaffNav
from tests import factories
from tests.web.staff_client import make_staff

NOW = datetime(2026, 12, 1, 10, 0)


def _wrong_passwords(user, count: int, minutes_ago: int) -> None:
    for _ in range(count):
        db.session.add(
            LoginAttempt(
                email=user.email,
                ip_address="192.0.2.1",
                succeeded=False,
                created_at=NOW - timedelta(minutes=minutes_ago),
            )
        )


def test_the_roster_says_who_is_locked_as_sign_in_does(app):
    practice = factories.practice()
    other = factories.practice()
    alice = make_staff(practice, "owner", "alice@example.org")
    bruno = make_staff(practice, "billing", "bruno@example.org")
    carla = make_staff(practice, "viewer", "carla@example.org")
    dario = make_staff(practice, "billing", "dario@example.org")
    elena = make_staff(practice, "viewer", "elena@example.org")
    make_staff(other, "owner", "olga@example.org")
    _wrong_passwords(bruno, 5, minutes_ago=3)  # locked by wrong passwords
    _wrong_passwords(carla, 4, minutes_ago=3)  # one short
    _wrong_passwords(dario, 5, minutes_ago=20)  # outside the window
    _wrong_passwords(elena, 5, minutes_ago=10)
    staff_auth.unlock(elena, SYSTEM, now=NOW - timedelta(minutes=5))  # unlocked since
    _wrong_passwords(elena, 2, minutes_ago=1)
    alice.locked_until = NOW + timedelta(minutes=5)  # locked by wrong codes
    db.session.commit()
    roster = staff_roster.build(practice.id, NOW)
    names = ["Billing", "Billing", "Owner", "Viewer", "Viewer"]  # by name (make_staff's role)
    assert [row.user.name for row in roster.rows] == names
    locked = {row.user.email: row.locked for row in roster.rows}
    assert locked == {
        "alice@example.org": True,
        "bruno@example.org": True,
        "carla@example.org": False,
        "dario@example.org": False,
        "elena@example.org": False,
    }
    for row in roster.rows:
        throttle = staff_auth.Throttle()
        assert staff_auth.is_locked(row.user, row.user.email, throttle, NOW) == row.locked


def test_the_roster_costs_two_statements_however_many_staff(app):
    practice = factories.practice()
    for n in range(12):
        _wrong_passwords(make_staff(practice, "billing", f"b{n}@example.org"), n, 1)
    db.session.commit()
    practice_id = practice.id
    seen = []

    def count(conn, cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = staff_roster.build(practice_id, NOW).rows
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(seen) == 2, seen
    assert sum(row.locked for row in rows) == 7  # 5 to 11 wrong passwords


def test_the_layout_counts_the_practice_s_open_questions(app):
    invoice = factories.invoice(factories.patient(factories.practice()))
    elsewhere = factories.invoice(factories.patient(factories.practice()), number="2026-0002")
    for target, status in ((invoice, "open"), (invoice, "open"), (invoice, "answered")):
        db.session.add(
            BillQuestion(
                practice_id=target.practice_id, invoice_id=target.id, text="?", status=status
            )
        )
    db.session.add(
        BillQuestion(practice_id=elsewhere.practice_id, invoice_id=elsewhere.id, text="?")
    )
    db.session.commit()
    assert staff_nav.build(invoice.practice_id) == StaffNav(open_questions=2, email_missing=False)
