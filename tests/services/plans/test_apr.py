"""Regulation Z Appendix J annual percentage rates: the published examples, then properties.

The examples of Appendix J (c) give the amounts, each payment's place as t whole
unit-periods plus a fraction f, the unit-periods a year (w) and the APR to two decimals.
Each case below pairs those published figures with advance and due dates chosen to produce
exactly the published t and f (the test checks that too), so the date rules of (b)(4) and
(b)(5) are exercised as well as the general equation of (b)(8). The dates are ours, not
the regulation's.
"""

import calendar
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.services.plans import apr
from portal.services.plans.apr import Disclosure, TimedPayment


def add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def every(first: date, count: int, *, months: int = 0, days: int = 0) -> list[date]:
    return [add_months(first, k * months) + timedelta(days=k * days) for k in range(count)]


def semimonthly(first: date, count: int) -> list[date]:
    """The 1st and the 16th, from `first` (one of them)."""
    out, due = [], first
    while len(out) < count:
        out.append(due)
        due = due.replace(day=16) if due.day == 1 else add_months(due.replace(day=1), 1)
    return out


def split(total_minor: int, count: int) -> list[int]:
    """Equal parts, the odd cents on the first ones (as the plan schedules do)."""
    base, rest = divmod(total_minor, count)
    return [base + (k < rest) for k in range(count)]


def series(amount_minor: int, count: int, t: int, f: Fraction) -> list[TimedPayment]:
    """`count` equal payments one unit-period apart, the first t + f unit-periods out."""
    return [TimedPayment(amount_minor, t + k, f) for k in range(count)]


D = date
EXAMPLES = [
    # (c)(1) single advance, otherwise regular. Monthly, regular first period:
    # A = $5,000, 24 payments of $230, w = 12 -> 9.69%.
    pytest.param(
        500000, D(1978, 1, 10), every(D(1978, 2, 10), 24, months=1), series(23000, 24, 1, 0),
        12, "9.69", id="c1-monthly-regular-first-period",
    ),
    # (c)(1) monthly, long first period (odd days / 30): A = $6,000, 36 payments of $200,
    # first payment 1 month and 19 days out (t = 1, f = 19/30), w = 12 -> 11.82%.
    pytest.param(
        600000, D(1978, 2, 10), every(D(1978, 4, 1), 36, months=1),
        series(20000, 36, 1, Fraction(19, 30)), 12, "11.82", id="c1-monthly-long-first-period",
    ),
    # (c)(1) semimonthly, short first period: A = $5,000, 24 payments of $219.17,
    # first payment 6 days out (t = 0, f = 6/15), w = 24 -> 10.34%.
    pytest.param(
        500000, D(1978, 2, 23), semimonthly(D(1978, 3, 1), 24),
        series(21917, 24, 0, Fraction(6, 15)), 24, "10.34", id="c1-semimonthly-short-first",
    ),
    # (c)(1) quarterly, long first period: A = $10,000, 40 payments of $385,
    # t = 1, f = 39/90, w = 4 -> 8.97%.
    pytest.param(
        1000000, D(1978, 5, 23), every(D(1978, 10, 1), 40, months=3),
        series(38500, 40, 1, Fraction(39, 90)), 4, "8.97", id="c1-quarterly-long-first",
    ),
    # (c)(1) weekly, long first period: A = $500, 30 payments of $17.60,
    # t = 4, f = 4/7, w = 52 -> 14.96%.
    pytest.param(
        50000, D(1978, 3, 20), every(D(1978, 4, 21), 30, days=7),
        series(1760, 30, 4, Fraction(4, 7)), 52, "14.96", id="c1-weekly-long-first",
    ),
    # (c)(2) odd first payment, monthly: A = $5,000, first payment $250 then 23 of $230,
    # w = 12 -> 10.08%.
    pytest.param(
        500000, D(1978, 1, 10), every(D(1978, 2, 10), 24, months=1),
        [TimedPayment(25000, 1, Fraction(0)), *series(23000, 23, 2, Fraction(0))],
        12, "10.08", id="c2-monthly-odd-first-payment",
    ),
    # (c)(2) every 4 weeks, long first period and odd first payment: A = $400, $39.50 then
    # 11 of $38.31, t = 1, f = 5/28, w = 13 -> 28.50%.
    pytest.param(
        40000, D(1978, 4, 3), every(D(1978, 5, 6), 12, days=28),
        [TimedPayment(3950, 1, Fraction(5, 28)), *series(3831, 11, 2, Fraction(5, 28))],
        13, "28.50", id="c2-four-weekly-odd-first-payment",
    ),
    # (c)(3) odd final payment, monthly: A = $5,000, 23 of $230 then $280, w = 12 -> 10.50%.
    pytest.param(
        500000, D(1978, 1, 10), every(D(1978, 2, 10), 24, months=1),
        [*series(23000, 23, 1, Fraction(0)), TimedPayment(28000, 24, Fraction(0))],
        12, "10.50", id="c3-monthly-odd-final-payment",
    ),
    # (c)(3) every 2 weeks, short first period and odd final payment: A = $200, 19 of $9.50
    # then $30, t = 0, f = 8/14, w = 26 -> 12.22%.
    pytest.param(
        20000, D(1978, 3, 10), every(D(1978, 3, 18), 20, days=14),
        [*series(950, 19, 0, Fraction(8, 14)), TimedPayment(3000, 19, Fraction(8, 14))],
        26, "12.22", id="c3-biweekly-odd-final-payment",
    ),
    # (c)(4) odd first and final payments, monthly: A = $5,000, $250, 22 of $230, $280,
    # w = 12 -> 10.90%.
    pytest.param(
        500000, D(1978, 1, 10), every(D(1978, 2, 10), 24, months=1),
        [
            TimedPayment(25000, 1, Fraction(0)),
            *series(23000, 22, 2, Fraction(0)),
            TimedPayment(28000, 24, Fraction(0)),
        ],
        12, "10.90", id="c4-monthly-odd-first-and-final",
    ),
    # (c)(4) every 2 months, short first period, odd first and final payments: A = $8,000,
    # $449.36, 18 of $465, $200, t = 0, f = 52/60, w = 6 -> 7.30%.
    pytest.param(
        800000, D(1978, 1, 10), every(D(1978, 3, 1), 20, months=2),
        [
            TimedPayment(44936, 0, Fraction(52, 60)),
            *series(46500, 18, 1, Fraction(52, 60)),
            TimedPayment(20000, 19, Fraction(52, 60)),
        ],
        6, "7.30", id="c4-bimonthly-odd-first-and-final",
    ),
    # (c)(5) single advance, single payment, term of 255 days (not whole months):
    # A = $1,000, P = $1,080, w = 365/255 -> 11.45%.
    pytest.param(
        100000, D(1978, 1, 3), [D(1978, 9, 15)], [TimedPayment(108000, 1, Fraction(0))],
        Fraction(365, 255), "11.45", id="c5-single-payment-255-days",
    ),
    # (c)(5) single payment, term of 6 months: A = $1,000, P = $1,044, w = 2 -> 8.80%.
    pytest.param(
        100000, D(1978, 7, 15), [D(1979, 1, 15)], [TimedPayment(104400, 1, Fraction(0))],
        2, "8.80", id="c5-single-payment-6-months",
    ),
    # (c)(5) single payment, term of 18 months: unit-period one year, t = 1, f = 6/12:
    # A = $1,000, P = $1,135.19, w = 1 -> 8.76%.
    pytest.param(
        100000, D(1978, 1, 10), [D(1979, 7, 10)], [TimedPayment(113519, 1, Fraction(6, 12))],
        1, "8.76", id="c5-single-payment-18-months",
    ),
    # (c)(5) single payment, term of 2 years: A = $1,000, P = $1,240, t = 2, w = 1 -> 11.36%.
    pytest.param(
        100000, D(1978, 1, 10), [D(1980, 1, 10)], [TimedPayment(124000, 2, Fraction(0))],
        1, "11.36", id="c5-single-payment-2-years",
    ),
    # (c)(6) complex, every 4 weeks with skipped payments: A = $2,135, $100 payments at
    # t = 0-8 (f = 26/28), 10-15 (f = 12/28), 16-21 (f = 26/28), 23-25 (f = 12/28),
    # w = 13 -> 12.00%.
    pytest.param(
        213500,
        D(1978, 1, 2),
        [
            D(1978, 1, 2) + timedelta(days=28 * t + odd)
            for first, count, odd in ((0, 9, 26), (10, 6, 12), (16, 6, 26), (23, 3, 12))
            for t in range(first, first + count)
        ],
        [
            *series(10000, 9, 0, Fraction(26, 28)),
            *series(10000, 6, 10, Fraction(12, 28)),
            *series(10000, 6, 16, Fraction(26, 28)),
            *series(10000, 3, 23, Fraction(12, 28)),
        ],
        13, "12.00", id="c6-four-weekly-skipped-payments",
    ),
    # (c)(6) complex, monthly, skipped payments and single payments: A = $7,350,
    # 3 of $1,000 at t = 6-8, $2,000 at t = 12, 3 of $750 at t = 18-20 (all f = 12/30),
    # $1,000 at t = 22, f = 29/30, w = 12 -> 10.22%.
    pytest.param(
        735000,
        D(1978, 1, 20),
        [
            *every(D(1978, 8, 1), 3, months=1),
            D(1979, 2, 1),
            *every(D(1979, 8, 1), 3, months=1),
            D(1979, 12, 18),
        ],
        [
            *series(100000, 3, 6, Fraction(12, 30)),
            TimedPayment(200000, 12, Fraction(12, 30)),
            *series(75000, 3, 18, Fraction(12, 30)),
            TimedPayment(100000, 22, Fraction(29, 30)),
        ],
        12, "10.22", id="c6-monthly-skipped-and-single-payments",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("financed", "advance", "dates", "published", "w", "rate"), EXAMPLES)
def test_appendix_j_examples(financed, advance, dates, published, w, rate):
    payments = [(due, p.amount_minor) for due, p in zip(dates, published, strict=True)]
    plan = apr.schedule(advance, payments)
    assert plan.unit.per_year == w
    assert list(plan.payments) == published
    # Appendix J (b)(9)(ii): the rate is right when, rounded to two decimals, it is correct.
    assert apr.annual_percentage_rate(financed, advance, payments) == Decimal(rate)


def test_one_payment_a_year_later():
    # Not a published example, plain arithmetic: $1,000 advanced, $1,080 repaid one year
    # later; the unit-period is the one-year term (b)(4)(ii), so i = 8% and w = 1.
    assert apr.annual_percentage_rate(100000, D(2026, 3, 1), [(D(2027, 3, 1), 108000)]) == (
        Decimal("8.00")
    )


def test_36_monthly_payments_at_twelve_percent():
    # $5,000 over 36 months at 1% a month is $166.0715 a month: $166.07 discloses 12.00%.
    # $166.10 would be 12.01%.
    advance = D(2026, 1, 15)
    dates = every(D(2026, 2, 15), 36, months=1)
    assert apr.annual_percentage_rate(500000, advance, [(d, 16607) for d in dates]) == (
        Decimal("12.00")
    )
    assert apr.annual_percentage_rate(500000, advance, [(d, 16610) for d in dates]) == (
        Decimal("12.01")
    )


def test_a_plan_without_interest_discloses_zero():
    # A $1,545 bill, $154.50 down on the signing day: $1,390.50 financed in 6 payments
    # that add up to it exactly. The down payment is not part of the schedule.
    dates = every(D(2026, 2, 28), 6, months=1)
    payments = list(zip(dates, [23175] * 6, strict=True))
    disclosure = apr.disclose(139050, D(2026, 1, 31), payments)
    assert disclosure == Disclosure(139050, 0, 139050, Decimal("0.00"))
    assert str(disclosure.apr) == "0.00"


def test_disclosure_figures():
    dates = every(D(2026, 2, 10), 12, months=1)
    disclosure = apr.disclose(120000, D(2026, 1, 10), [(d, 10600) for d in dates])
    assert disclosure.total_of_payments_minor == 127200
    assert disclosure.finance_charge_minor == 7200
    assert disclosure.apr == Decimal("10.90")  # 12 x $106 on $1,200: i = 0.9080% a month


def test_a_tiny_finance_charge_still_shows_a_rate():
    # One cent on $10,000 over three years is about 0.00007%: shown as 0.01, not 0.00.
    dates = every(D(2026, 2, 10), 36, months=1)
    payments = list(zip(dates, split(1000001, 36), strict=True))
    assert apr.annual_percentage_rate(1000000, D(2026, 1, 10), payments) == Decimal("0.01")


@pytest.mark.parametrize(
    ("dates", "kind", "per_year"),
    [
        (every(D(2026, 2, 1), 6, months=1), "month", 12),
        (semimonthly(D(2026, 2, 1), 6), "semimonth", 24),
        (every(D(2026, 1, 22), 6, days=7), "week", 52),
        (every(D(2026, 1, 29), 6, days=14), "week", 26),
        (every(D(2026, 4, 15), 4, months=3), "month", 4),
        (every(D(2027, 1, 15), 3, months=12), "year", 1),
        # (b)(4)(i)(A): as many 2-week as 4-week periods: the smaller one.
        ([D(2026, 1, 29), D(2026, 2, 12), D(2026, 3, 12), D(2026, 4, 9)], "week", 26),
        # (b)(4)(i)(B): no common period (10 and 20 days); the average, 15 days, is nearest
        # a semimonth.
        ([D(2026, 1, 25), D(2026, 2, 14)], "semimonth", 24),
    ],
)
def test_unit_period(dates, kind, per_year):
    unit = apr.unit_period(D(2026, 1, 15), dates)
    assert (unit.kind, unit.per_year) == (kind, per_year)


def test_a_series_on_the_last_day_counts_whole_months():
    # (b)(3)(iv): 31 January, 28 February, 31 March... are whole months apart.
    advance = D(2026, 1, 31)
    dates = [D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30), D(2026, 5, 31)]
    plan = apr.schedule(advance, [(d, 100) for d in dates])
    assert [(p.t, p.f) for p in plan.payments] == [(k, 0) for k in range(1, 5)]


def test_a_series_on_the_30th_uses_the_end_of_february():
    advance = D(2026, 1, 30)
    dates = [D(2026, 2, 28), D(2026, 3, 30), D(2026, 4, 30)]
    plan = apr.schedule(advance, [(d, 100) for d in dates])
    assert [(p.t, p.f) for p in plan.payments] == [(1, 0), (2, 0), (3, 0)]


def test_short_first_period_on_a_fixed_day_of_month():
    # Signed on the 20th, installments on the 1st: 12 odd days, f = 12/30.
    plan = apr.schedule(D(2026, 1, 20), [(d, 100) for d in every(D(2026, 2, 1), 3, months=1)])
    assert [(p.t, p.f) for p in plan.payments] == [(k, Fraction(12, 30)) for k in range(3)]


@pytest.mark.parametrize(
    ("financed", "payments"),
    [
        (0, [(D(2026, 2, 1), 100)]),
        (100, []),
        (100, [(D(2026, 1, 1), 100)]),
        (100, [(D(2026, 3, 1), 50), (D(2026, 2, 1), 50)]),
        (100, [(D(2026, 2, 1), 0)]),
        (100, [(D(2026, 2, 1), 99)]),
        (100, [(D(2026, 2, 1), 100.0)]),
    ],
    ids=["nothing-financed", "no-payments", "due-on-advance", "out-of-order", "zero",
         "negative-charge", "float"],
)  # fmt: skip
def test_refuses_what_is_not_a_plan(financed, payments):
    with pytest.raises(ValueError):
        apr.disclose(financed, D(2026, 1, 1), payments)


# -- properties ----------------------------------------------------------------------------


PER_YEAR = {"monthly": 12, "semimonthly": 24, "weekly": 52, "biweekly": 26}


@st.composite
def due_dates(draw, min_count: int = 1):
    """An advance date, a payment frequency and due dates, the first 1 to 45 days out."""
    count = draw(st.integers(min_count, 36))
    advance = draw(st.dates(D(2000, 1, 1), D(2080, 12, 31)))
    first = advance + timedelta(days=draw(st.integers(1, 45)))
    frequency = draw(st.sampled_from(sorted(PER_YEAR)))
    if frequency == "monthly":
        dates = every(first, count, months=1)
    elif frequency == "semimonthly":
        dates = semimonthly(add_months(first.replace(day=1), 1), count)
    else:
        dates = every(first, count, days=7 if frequency == "weekly" else 14)
    return advance, frequency, dates


@st.composite
def plans(draw, max_charge_percent: int = 40):
    """An amount financed, an advance date and equal payments (odd cents first)."""
    advance, _, dates = draw(due_dates())
    financed = draw(st.integers(100, 5_000_000))
    charge = draw(st.integers(0, financed * max_charge_percent // 100))
    amounts = split(financed + charge, len(dates))
    return financed, advance, list(zip(dates, amounts, strict=True))


@given(due_dates(min_count=3))
def test_the_unit_period_follows_the_payment_frequency(case):
    advance, frequency, dates = case
    assert apr.unit_period(advance, dates).per_year == PER_YEAR[frequency]


@given(plans())
def test_apr_is_zero_exactly_when_nothing_is_charged(plan):
    financed, advance, payments = plan
    disclosure = apr.disclose(financed, advance, payments)
    assert disclosure.finance_charge_minor >= 0
    assert (disclosure.apr == 0) == (disclosure.finance_charge_minor == 0)
    assert disclosure.apr >= 0 and disclosure.apr == disclosure.apr.quantize(Decimal("0.01"))


@given(plans(), st.data())
def test_a_larger_payment_never_lowers_the_rate(plan, data):
    financed, advance, payments = plan
    k = data.draw(st.integers(0, len(payments) - 1))
    more = data.draw(st.integers(1, financed))
    raised = [(due, amount + more * (j == k)) for j, (due, amount) in enumerate(payments)]
    before, after = apr.schedule(advance, payments), apr.schedule(advance, raised)
    assert after.unit == before.unit
    assert apr.unit_period_rate(financed, after) > apr.unit_period_rate(financed, before)
    assert apr.annual_percentage_rate(financed, advance, raised) >= (
        apr.annual_percentage_rate(financed, advance, payments)
    )


@given(plans(max_charge_percent=100))
def test_the_rate_reproduces_the_amount_financed(plan):
    financed, advance, payments = plan
    schedule = apr.schedule(advance, payments)
    rate = apr.unit_period_rate(financed, schedule)
    assert abs(apr.general_equation(schedule, rate) - financed) < 1
