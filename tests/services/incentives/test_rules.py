"""The pure incentive rules on loaded facts: the discount offered, its deadline, the deposit
a plan needs, and whether a settlement offer can be paid (no database)."""

from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from portal.models import DiscountPolicy, Invoice, SettlementOffer
from portal.services.incentives import rules

ISSUED = date(2026, 1, 31)


def policy(**values) -> DiscountPolicy:
    defaults = dict(
        enabled=True,
        percent=5,
        within_days=10,
        deposit_threshold_minor=None,
        deposit_percent=None,
    )
    return DiscountPolicy(practice_id=1, **{**defaults, **values})


def invoice(status="open", issued_on=ISSUED, currency="EUR") -> Invoice:
    return Invoice(status=status, issued_on=issued_on, currency=currency)


def offer(status="open", expires_on=date(2026, 2, 10), amount_minor=6000) -> SettlementOffer:
    return SettlementOffer(status=status, expires_on=expires_on, amount_minor=amount_minor)


# --- deadline and discount -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued", "days", "last_day"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 1)),
        (date(2026, 1, 31), 28, date(2026, 2, 28)),
        (date(2028, 1, 31), 29, date(2028, 2, 29)),  # leap year
        (date(2026, 12, 20), 14, date(2027, 1, 3)),  # across the year
        (date(2026, 3, 20), 10, date(2026, 3, 30)),  # across the DST change: calendar days
    ],
)
def test_the_deadline_is_the_issue_date_plus_the_days(issued, days, last_day):
    assert rules.deadline(invoice(issued_on=issued), policy(within_days=days)) == last_day


def test_the_discount_holds_through_the_last_day_and_not_after():
    terms = policy(percent=5, within_days=10)
    last_day = ISSUED + timedelta(days=10)
    found = rules.discount_for(terms, invoice(), last_day, 15450)
    assert found == rules.Discount(5, last_day, 15450, 773, "EUR")
    assert found.pay_minor == 14677
    assert rules.discount_for(terms, invoice(), last_day + timedelta(days=1), 15450) is None
    assert rules.discount_for(terms, invoice(), ISSUED, 15450).discount_minor == 773


@pytest.mark.parametrize("status", ["draft", "paid", "void"])
def test_no_discount_unless_the_invoice_is_open(status):
    assert rules.discount_for(policy(), invoice(status=status), ISSUED, 10000) is None


def test_no_discount_without_an_enabled_policy():
    assert rules.discount_for(None, invoice(), ISSUED, 10000) is None
    assert rules.discount_for(policy(enabled=False), invoice(), ISSUED, 10000) is None


@pytest.mark.parametrize(
    ("balance", "percent", "offered"),
    [
        (9, 5, None),  # 0.45 of a cent rounds to nothing: no discount
        (10, 5, 1),  # 0.5 rounds up to one cent
        (1, 50, None),  # half of one cent rounds to the whole balance: not a discount
        (2, 50, 1),
        (0, 5, None),
        (-500, 5, None),  # a credit balance earns nothing
    ],
)
def test_a_discount_is_at_least_a_cent_and_less_than_the_balance(balance, percent, offered):
    found = rules.discount_for(policy(percent=percent), invoice(), ISSUED, balance)
    assert (found.discount_minor if found else None) == offered


def test_the_discount_carries_the_invoice_currency():
    found = rules.discount_for(policy(), invoice(currency="USD"), ISSUED, 2000)
    assert (found.currency, found.discount_minor, found.pay_minor) == ("USD", 100, 1900)


@given(balance=st.integers(2, 10**10), percent=st.integers(1, 50))
@example(balance=2, percent=50)
def test_the_discount_and_what_is_paid_add_up_to_the_balance(balance, percent):
    found = rules.discount_for(policy(percent=percent), invoice(), ISSUED, balance)
    if found is None:
        assert rules.discount_minor(balance, percent) in (0, balance)
        return
    assert found.pay_minor + found.discount_minor == balance
    assert 0 < found.pay_minor < balance
    assert found.discount_minor == rules.discount_minor(balance, percent)


# --- deposit -------------------------------------------------------------------------------


def test_the_deposit_starts_at_the_threshold_and_rounds_up():
    terms = policy(deposit_threshold_minor=100000, deposit_percent=25)
    assert rules.deposit_for(terms, 99999) is None
    assert rules.deposit_for(terms, 100000) == 25000
    assert rules.deposit_for(terms, 100001) == 25001  # 25000.25 -> 25001
    assert rules.deposit_for(terms, 100004) == 25001  # exactly 25001
    assert rules.deposit_for(policy(deposit_threshold_minor=1, deposit_percent=1), 1) == 1


def test_no_deposit_without_a_whole_rule():
    assert rules.deposit_for(None, 500000) is None
    assert rules.deposit_for(policy(), 500000) is None
    assert rules.deposit_for(policy(deposit_threshold_minor=100, deposit_percent=0), 500) is None


@given(
    balance=st.integers(1, 10**10),
    threshold=st.integers(1, 10**6),
    percent=st.integers(1, 99),
)
def test_the_deposit_is_the_least_whole_amount_covering_the_percentage(balance, threshold, percent):
    found = rules.deposit_for(
        policy(deposit_threshold_minor=threshold, deposit_percent=percent), balance
    )
    if balance < threshold:
        assert found is None
        return
    assert found * 100 >= balance * percent > (found - 1) * 100
    assert 0 < found <= balance


# --- settlement offers ---------------------------------------------------------------------


def test_an_open_offer_is_payable_through_its_last_day():
    expires = date(2026, 2, 10)
    assert rules.offer_payable(offer(), expires, invoice(), 10000, None) is True
    assert (
        rules.offer_payable(offer(), expires + timedelta(days=1), invoice(), 10000, None) is False
    )


@pytest.mark.parametrize(
    ("changes", "payable"),
    [
        (dict(), True),
        (dict(status="accepted"), False),
        (dict(status="expired"), False),
        (dict(status="withdrawn"), False),
        (dict(invoice_status="paid"), False),
        (dict(invoice_status="void"), False),
        (dict(balance=6000), False),  # no longer below the balance
        (dict(balance=6001), True),
        (dict(amount=0), False),
        (dict(payment="succeeded"), False),
        (dict(payment="failed"), True),  # a declined attempt can be tried again
        (dict(payment="processing"), True),  # in flight: the claim decides, not this rule
    ],
)
def test_what_makes_an_offer_unpayable(changes, payable):
    made = offer(status=changes.get("status", "open"), amount_minor=changes.get("amount", 6000))
    bill = invoice(status=changes.get("invoice_status", "open"))
    today = date(2026, 2, 1)
    found = rules.offer_payable(
        made, today, bill, changes.get("balance", 10000), changes.get("payment")
    )
    assert found is payable


@pytest.mark.parametrize(
    ("value", "accepted"),
    [(1, True), (0, True), (-3, True), (True, False), (False, False), (1.0, False), ("1", False)],
)
def test_whole_accepts_only_integers_not_booleans(value, accepted):
    assert rules.whole(value) is accepted
