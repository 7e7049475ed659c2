"""One lockout rule: for any sequence of date-of-birth checks (right, wrong, spread over days,
staff unlocking a locked link), the moments the verify page locked the link are the moments
the alerts sweep reads back from the recorded checks."""

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.services.access import links, verification
from portal.services.access.verification import Policy, lock_moments
from portal.services.collections import lockouts
from portal.services.core.audit import SYSTEM
from tests import factories

START = datetime(2026, 11, 1, 12, 0)
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["wrong", "wrong", "wrong", "right", "unlock"]),
        # seconds to the next step: the same second, minutes, hours, days
        st.sampled_from([0, 1, 59, 600, 901, 3600, 86400, 3 * 86400]),
    ),
    max_size=30,
)


def t(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def test_the_rule_counts_failures_however_far_apart():
    policy = Policy(max_failures=3)
    failures = [t(0), t(60), t(24 * 60), t(24 * 60 + 1), t(24 * 60 + 2), t(9000), t(9001)]
    assert lock_moments(failures, policy) == [t(24 * 60), t(9000)]
    assert lock_moments(failures[:2], policy) == []
    assert lock_moments([], policy) == []
    assert [policy.locks(n) for n in range(5)] == [False, False, False, True, True]


def test_the_sweep_and_the_verify_page_read_the_configured_limit(app):
    app.config["VERIFY_MAX_FAILURES"] = 3
    assert verification.configured_policy().max_failures == 3
    assert lock_moments([t(0), t(1), t(2)], verification.configured_policy()) == [t(2)]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS, limit=st.integers(min_value=1, max_value=6))
def test_the_sweep_finds_the_lockouts_the_verify_page_made(app, steps, limit):
    policy = Policy(max_failures=limit)
    patient = factories.patient(factories.practice())
    invoice = factories.invoice(patient)
    link, _ = links.issue(invoice, SYSTEM, now=START)
    db.session.commit()
    born, wrong = patient.date_of_birth, patient.date_of_birth + timedelta(days=1)
    now, locked_by_page = START, []
    for step, pause in steps:
        now += timedelta(seconds=pause)
        if step == "unlock":  # staff unlock a locked link (the page lists only those)
            if link.locked_at is not None:
                links.unlock(link, SYSTEM)
            continue
        was_locked = link.locked_at is not None
        result = verification.check_date_of_birth(
            link,
            born if step == "right" else wrong,
            ip_address="203.0.113.5",
            policy=policy,
            now=now,
        )
        db.session.commit()
        if result == "locked" and not was_locked:
            assert link.locked_at == now
            locked_by_page.append(now)
    found = lockouts.link_locks(invoice.practice_id, START, now + timedelta(seconds=1), policy).get(
        (invoice.id, link.id), []
    )
    assert found == locked_by_page
