"""Schedules: exact sums, clamped month ends, the stated remainder rule (hypothesis)."""

import calendar
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.services.plans.schedule import add_months, build, split

DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


def test_month_ends_are_clamped():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2027, 1, 31), 2) == date(2027, 3, 31)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert add_months(date(2026, 11, 24), 3, day=1) == date(2027, 2, 1)


def test_the_remainder_goes_to_the_first_installments():
    assert split(10000, 3) == [3334, 3333, 3333]
    assert split(10001, 3) == [3334, 3334, 3333]
    assert split(9, 3) == [3, 3, 3]


def test_a_six_month_plan():
    steps = build(154500, 15450, 6, date(2026, 1, 31))
    assert [(s.sequence, s.due_on, s.amount_minor) for s in steps] == [
        (0, date(2026, 1, 31), 15450),
        (1, date(2026, 2, 28), 23175),
        (2, date(2026, 3, 31), 23175),
        (3, date(2026, 4, 30), 23175),
        (4, date(2026, 5, 31), 23175),
        (5, date(2026, 6, 30), 23175),
        (6, date(2026, 7, 31), 23175),
    ]


@pytest.mark.parametrize("down", [-1, 100, 150])
def test_down_payment_must_leave_something_to_finance(down):
    with pytest.raises(ValueError):
        build(100, down, 3, date(2026, 1, 1))


def test_no_down_payment_means_no_down_payment_step():
    steps = build(100, 0, 3, date(2026, 1, 31))
    assert [(s.sequence, s.due_on, s.amount_minor) for s in steps] == [
        (1, date(2026, 2, 28), 34),
        (2, date(2026, 3, 31), 33),
        (3, date(2026, 4, 30), 33),
    ]


@given(
    total=st.integers(2, 10**9),
    count=st.integers(1, 60),
    start=DATES,
    day=st.one_of(st.none(), st.integers(1, 28)),
    data=st.data(),
)
def test_schedules_sum_to_the_cent_and_stay_in_order(total, count, start, day, data):
    down = data.draw(st.integers(1, total - 1))
    steps = build(total, down, count, start, day)
    assert sum(s.amount_minor for s in steps) == total
    assert steps[0] == type(steps[0])(0, start, down)
    amounts = [s.amount_minor for s in steps[1:]]
    assert max(amounts) - min(amounts) <= 1
    assert amounts == sorted(amounts, reverse=True)
    dates = [s.due_on for s in steps]
    assert dates == sorted(dates) and len(set(dates[1:])) == count
    for months, step in enumerate(steps[1:], start=1):
        month_index = start.month - 1 + months
        year, month = start.year + month_index // 12, month_index % 12 + 1
        assert (step.due_on.year, step.due_on.month) == (year, month)
        wanted = day or start.day
        assert step.due_on.day == min(wanted, calendar.monthrange(year, month)[1])


@given(amount=st.integers(0, 10**12), count=st.integers(1, 120))
def test_split_is_exact(amount, count):
    parts = split(amount, count)
    assert sum(parts) == amount and len(parts) == count
    assert max(parts) - min(parts) <= 1
