"""Cards that expire before their plan ends: a card is good through the last day of its
expiry month; Stripe's answer is trusted for a day (no database)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from portal.gateways.stripe_gateway import GatewayError
from portal.services.collections import alert_cards


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch):
    monkeypatch.setattr(alert_cards, "_expiry_cache", {})


@dataclass
class Scan:
    running: dict
    practice: object = None
    keep: set = field(default_factory=set)
    found: list = field(default_factory=list)

    def add(self, invoice_id, kind, subject, **data):
        self.found.append((invoice_id, kind, subject, data))


def plan(last_due: date, method="card", method_id="pm_1", plan_id=1):
    installments = [
        SimpleNamespace(due_on=last_due - timedelta(days=60)),
        SimpleNamespace(due_on=last_due),
    ]
    return SimpleNamespace(
        id=plan_id, method=method, stripe_payment_method_id=method_id, installments=installments
    )


def scanned(monkeypatch, running, expiry):
    monkeypatch.setattr(
        alert_cards.gateways, "stripe", lambda practice: SimpleNamespace(card_expiry=expiry)
    )
    scan = Scan(running)
    alert_cards.check(scan)
    return scan


@pytest.mark.parametrize(
    ("expiry", "last_due", "alerted"),
    [
        ((2, 2028), date(2028, 2, 29), False),  # good through the leap day
        ((2, 2028), date(2028, 3, 1), True),
        ((2, 2027), date(2027, 2, 28), False),
        ((12, 2026), date(2026, 12, 31), False),
        ((12, 2026), date(2027, 1, 1), True),
        ((4, 2027), date(2027, 4, 30), False),
        ((4, 2027), date(2027, 5, 1), True),
    ],
)
def test_a_card_is_good_through_the_end_of_its_month(monkeypatch, expiry, last_due, alerted):
    scan = scanned(monkeypatch, {10: plan(last_due)}, lambda method_id: expiry)
    if not alerted:
        assert scan.found == []
        return
    assert scan.found == [
        (
            10,
            "card_expiring",
            "card:pm_1",
            {
                "payment_method_id": "pm_1",
                "exp_month": expiry[0],
                "exp_year": expiry[1],
                "last_due_on": last_due.isoformat(),
            },
        )
    ]


def test_plans_without_a_card_or_installments_are_not_asked_about(monkeypatch):
    def never(method_id):
        raise AssertionError("Stripe is not asked")

    sepa = plan(date(2030, 1, 1), method="sepa_debit")
    unsaved = plan(date(2030, 1, 1), method_id=None)
    empty = SimpleNamespace(id=3, method="card", stripe_payment_method_id="pm_3", installments=[])
    scan = scanned(monkeypatch, {1: sepa, 2: unsaved, 3: empty}, never)
    assert (scan.found, scan.keep) == ([], set())


def test_when_stripe_cannot_say_the_earlier_alert_is_kept(monkeypatch):
    def fails(method_id):
        raise GatewayError("Stripe is down")

    scan = scanned(monkeypatch, {5: plan(date(2030, 1, 1))}, fails)
    assert (scan.found, scan.keep) == ([], {(5, "card_expiring")})
    # a card Stripe knows no expiry of raises nothing and keeps nothing
    quiet = scanned(monkeypatch, {6: plan(date(2030, 1, 1), method_id="pm_6")}, lambda m: None)
    assert (quiet.found, quiet.keep) == ([], set())


def test_the_expiry_is_trusted_for_a_day(monkeypatch):
    asked = []

    def lookup(method_id):
        asked.append(method_id)
        return [1, 2027]

    start = datetime(2026, 3, 29, 0, 30)
    for moment, expected_asks in (
        (start, 1),
        (start + timedelta(hours=23, minutes=59), 1),
        (start + timedelta(hours=24), 2),
    ):
        monkeypatch.setattr(alert_cards, "utcnow", lambda moment=moment: moment)
        assert alert_cards.card_expiry(lookup, "pm_1") == (1, 2027)
        assert len(asked) == expected_asks
    assert alert_cards.card_expiry(lookup, "pm_2") == (1, 2027)
    assert asked == ["pm_1", "pm_1", "pm_2"]
