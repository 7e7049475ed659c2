"""The fresh link each message carries: 45 days, or through a running plan's last
installment plus 30 days; a new link replaces the invoice's live ones."""

from datetime import date, datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import Installment, PaymentLink, Plan
from portal.services.access import links
from portal.services.core.audit import SYSTEM
from portal.services.messaging import linking
from tests import factories

#: 01:30 UTC on the night Rome's clocks go forward: a link's life is counted in UTC
NOW = datetime(2026, 3, 29, 1, 30)


def with_plan(invoice, status, *due):
    plan = Plan(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        status=status,
        currency="EUR",
        total_minor=15450,
        down_payment_minor=1450,
        installment_count=len(due),
        amount_financed_minor=14000,
        agreement_version="1",
        language="it",
    )
    db.session.add(plan)
    db.session.flush()
    for sequence, due_on in enumerate(due, start=1):
        db.session.add(
            Installment(plan_id=plan.id, sequence=sequence, due_on=due_on, amount_minor=1000)
        )
    db.session.flush()
    return plan


def an_invoice():
    return factories.invoice(factories.patient(factories.practice()))


@pytest.mark.parametrize("status", ["active", "past_due"])
def test_a_running_plan_keeps_the_link_until_its_last_due_date_and_thirty_days(app, status):
    invoice = an_invoice()
    with_plan(invoice, status, date(2026, 4, 30), date(2027, 2, 28), date(2026, 12, 31))
    # 28 Feb 2027 00:00 + 30 days = 30 Mar 2027 00:00; from 29 Mar 2026 01:30
    expected = datetime(2027, 3, 30) - NOW
    assert linking.lifetime(invoice, NOW) == expected == timedelta(days=365, hours=22, minutes=30)


def test_a_plan_ending_soon_never_shortens_the_usual_lifetime(app):
    invoice = an_invoice()
    with_plan(invoice, "active", date(2026, 4, 1))
    assert linking.lifetime(invoice, NOW) == timedelta(days=45)


@pytest.mark.parametrize("status", ["pending_signature", "completed", "cancelled"])
def test_a_plan_that_is_not_running_leaves_the_usual_lifetime(app, status):
    invoice = an_invoice()
    with_plan(invoice, status, date(2028, 1, 1))
    assert linking.lifetime(invoice, NOW) == timedelta(days=45)


def test_the_grace_is_configured(app):
    invoice = an_invoice()
    with_plan(invoice, "active", date(2026, 12, 31))
    app.config["PLAN_LINK_GRACE_DAYS"] = 0
    assert linking.lifetime(invoice, NOW) == datetime(2026, 12, 31) - NOW


def test_a_fresh_link_opens_the_bill_or_a_landing_and_leaves_older_links_alone(app):
    invoice = an_invoice()
    _, older_token = links.issue(invoice, SYSTEM, now=NOW)
    link, url = linking.fresh_link(invoice, SYSTEM, NOW)
    base = app.config["PORTAL_BASE_URL"].rstrip("/")
    assert url.startswith(f"{base}/p/") and "?" not in url
    assert link.expires_at == NOW + timedelta(days=45)
    _, landing = linking.fresh_link(invoice, SYSTEM, NOW, lands_on="question")
    assert landing.startswith(f"{base}/p/") and landing.endswith("?to=question")
    assert links.resolve(older_token, now=NOW).ok


def test_a_new_link_replaces_only_the_live_ones(app):
    invoice, other = an_invoice(), an_invoice()
    live, live_token = links.issue(invoice, SYSTEM, now=NOW)
    expired, _ = links.issue(
        invoice, SYSTEM, lifetime=timedelta(days=1), now=NOW - timedelta(days=2)
    )
    _, elsewhere_token = links.issue(other, SYSTEM, now=NOW)
    link, _url = linking.new_link(invoice, SYSTEM, NOW)
    db.session.flush()
    assert links.resolve(live_token, now=NOW).state == "revoked"
    assert (live.revoked_at, live.replaced_at) == (NOW, NOW)
    assert expired.revoked_at is None  # already dead: left as it was
    assert links.resolve(elsewhere_token, now=NOW).ok
    assert db.session.get(PaymentLink, link.id).revoked_at is None
