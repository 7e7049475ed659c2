"""Date-of-birth checks: five wrong answers lock the link, whoever sends them."""

from datetime import date, datetime, timedelta

from portal.extensions import db
from portal.services.access import links, verification
from portal.services.core.audit import SYSTEM
from tests import factories

NOW = datetime(2026, 11, 1, 12, 0)
RIGHT = date(1984, 3, 9)
WRONG = date(1984, 9, 3)


def make_link(app, slug="studio"):
    invoice = factories.invoice(factories.patient(factories.practice(slug=slug)), number=slug)
    link, _ = links.issue(invoice, SYSTEM, now=NOW)
    db.session.commit()
    return link


def answer(link, born, ip="203.0.113.5", minutes=0):
    return verification.check_date_of_birth(
        link, born, ip_address=ip, now=NOW + timedelta(minutes=minutes)
    )


def test_right_answer_verifies(app):
    link = make_link(app)
    assert answer(link, RIGHT) == "ok"
    assert link.verified_at == NOW


def test_five_wrong_answers_lock_the_link_even_for_the_right_one(app):
    link = make_link(app)
    results = [answer(link, WRONG, minutes=i) for i in range(5)]
    assert results == ["wrong"] * 4 + ["locked"]
    assert answer(link, RIGHT, minutes=6) == "locked"
    assert link.verified_at is None


def test_the_lock_holds_until_staff_unlock_the_link(app):
    link = make_link(app)
    for i in range(5):
        answer(link, WRONG, minutes=i)
    assert answer(link, RIGHT, minutes=60 * 24) == "locked"
    links.unlock(link, SYSTEM)
    assert (link.locked_at, link.failed_checks) == (None, 0)
    assert answer(link, RIGHT, minutes=60 * 25) == "ok"


def test_lock_is_per_link_across_addresses(app):
    link = make_link(app)
    for i in range(5):
        answer(link, WRONG, ip=f"198.51.100.{i}")
    assert answer(link, RIGHT, ip="192.0.2.77") == "locked"


def test_wrong_answers_from_one_address_do_not_lock_other_links(app):
    links_ = [make_link(app, slug=f"s{i}") for i in range(6)]
    for link in links_[:5]:
        for _ in range(5):
            answer(link, WRONG, ip="203.0.113.9")
    assert answer(links_[5], RIGHT, ip="203.0.113.9") == "ok"
    assert [answer(link, RIGHT, ip="203.0.113.9") for link in links_[:5]] == ["locked"] * 5


def test_the_lock_is_recorded_once_on_the_link(app):
    link = make_link(app)
    for i in range(7):
        answer(link, WRONG, minutes=i)
    db.session.commit()
    assert link.failed_checks == 5
    assert link.locked_at == NOW + timedelta(minutes=4)
    actions = db.session.scalars(
        db.text("SELECT action FROM audit_event WHERE action = 'link.locked'")
    ).all()
    assert actions == ["link.locked"]


def test_attempts_are_audited_without_the_answer(app):
    link = make_link(app)
    answer(link, WRONG)
    answer(link, RIGHT)
    db.session.commit()
    rows = db.session.execute(
        db.text("SELECT action, data FROM audit_event WHERE action LIKE 'link.verif%' ORDER BY id")
    ).all()
    assert [r.action for r in rows] == ["link.verification_failed", "link.verified"]
    assert all("1984" not in str(r.data) for r in rows)
