"""Annual percentage rate of an installment plan: Regulation Z (12 CFR 1026), Appendix J.

The Truth in Lending box of a patient payment plan shows the amount financed, the finance
charge, the total of payments and the annual percentage rate, computed here by the
actuarial method of Appendix J for a closed-end, single-advance transaction.

What the caller passes. The advance is the credit extended on the advance date (the day the
plan is signed). The down payment taken that day is *not* credit and is not part of the
schedule: pass the amount financed (the total owed after the down payment) and the later
payments only, as ``(due date, amount in minor units)`` pairs. Money stays in whole minor
units; the rate is solved in `Decimal` at 50 significant digits, never in float.

The method, by paragraph of Appendix J:

- (a)(2) Actuarial method: each unit-period the unpaid balance earns the finance charge and
  is reduced by the payment due at its end.
- (b)(4) The unit-period. For several payments, the common period (one occurring more than
  once, at most a year) that occurs most often; on a tie the smaller (b)(4)(i)(A); with no
  common period, the average period rounded to the nearest standard interval, the lower on
  a tie (b)(4)(i)(B). A single payment's unit-period is the term, at most a year (b)(4)(ii).
  Standard intervals (b)(3)(iii): a day, a week or a multiple of it, a semimonth, a month or
  a multiple of it, up to a year. Two consecutive periods of 13 to 17 days that together
  make one month are taken as semimonths (the 1st and 16th, the 15th and the last day).
- (b)(3)(iv) All months are equal; a series on the last day of the month (or on the 29th
  or 30th) is measured last day to last day (or from the end of February).
- (b)(5) Unit-periods from the advance to each payment: whole months are counted back from
  the payment date and the days left over are divided by 30 (b)(5)(ii); for a semimonth or
  a multiple of a month, 30 days per whole month counted back plus the days left, divided
  by 15 or by 30 times the months (b)(5)(iii); for days and weeks, the days divided by the
  days in the unit-period (b)(5)(iv); for a year, whole years counted back, then the months
  left / 12, or the days left / 365 when they are not whole months (b)(5)(v). A single
  payment within a year is one unit-period, with 12 / its months or 365 / its days
  unit-periods a year (b)(5)(vi), (vii). Unit-periods a year: 365, 52 / weeks, 24, 12 /
  months, 1.
- (b)(6) A fraction of a unit-period earns simple interest: the factor is (1 + f·i).
- (b)(8) The general equation, for one advance A on the advance date:
  ``A = sum over payments of P_k / ((1 + f_k·i) · (1 + i) ** t_k)``, solved for the
  unit-period rate i by iteration (b)(9); here by Newton's method from i = 0, which,
  the right-hand side being convex and decreasing in i, climbs to the root without
  overshooting.
- (b)(1) The annual percentage rate is i times the unit-periods a year.

Disclosure. The rate is rounded half up to two decimals. A zero finance charge gives exactly
0.00. A positive finance charge never shows 0.00: a rate below 0.005 is shown as 0.01, which
is within the 1/8 percentage point tolerance of 12 CFR 1026.22(a)(2) and keeps the box from
stating a 0% rate beside a finance charge.
"""

import calendar
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from itertools import pairwise

DAY, WEEK, SEMIMONTH, MONTH, YEAR, TERM = "day", "week", "semimonth", "month", "year", "term"

PRECISION = 50
_TOLERANCE = Decimal("1e-40")
_MAX_ITERATIONS = 500
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class UnitPeriod:
    """The unit-period of Appendix J (b)(4) and how many of them make a year (b)(5)."""

    #: day, week, semimonth, month, year, or term (a single payment due within a year)
    kind: str
    #: weeks or months in the unit-period; 1 for a day, semimonth or year; for a term, its
    #: months (or days, when the term is not whole months)
    length: int
    per_year: Fraction


@dataclass(frozen=True)
class TimedPayment:
    """A payment and its distance from the advance: t whole unit-periods and a fraction f."""

    amount_minor: int
    t: int
    f: Fraction


@dataclass(frozen=True)
class Schedule:
    unit: UnitPeriod
    payments: tuple[TimedPayment, ...]


@dataclass(frozen=True)
class Disclosure:
    amount_financed_minor: int
    finance_charge_minor: int
    total_of_payments_minor: int
    #: percent, two decimals: Decimal("12.00") is 12.00%
    apr: Decimal


def disclose(
    amount_financed_minor: int, advance_date: date, payments: Sequence[tuple[date, int]]
) -> Disclosure:
    """The Truth in Lending figures for `payments` repaying `amount_financed_minor`."""
    total = sum(amount for _, amount in payments)
    return Disclosure(
        amount_financed_minor=amount_financed_minor,
        finance_charge_minor=total - amount_financed_minor,
        total_of_payments_minor=total,
        apr=annual_percentage_rate(amount_financed_minor, advance_date, payments),
    )


def annual_percentage_rate(
    amount_financed_minor: int, advance_date: date, payments: Sequence[tuple[date, int]]
) -> Decimal:
    """The APR in percent, two decimals (Appendix J (b)(1))."""
    plan = schedule(advance_date, payments)
    rate = unit_period_rate(amount_financed_minor, plan)
    if rate == 0:
        return Decimal("0.00")
    with localcontext(prec=PRECISION):
        per_year = Decimal(plan.unit.per_year.numerator) / plan.unit.per_year.denominator
        percent = rate * per_year * 100
    return max(percent.quantize(_CENT, ROUND_HALF_UP), _CENT)


def schedule(advance_date: date, payments: Sequence[tuple[date, int]]) -> Schedule:
    """The unit-period and each payment's t and f, from the advance date (Appendix J (b)(5))."""
    if not payments:
        raise ValueError("a plan needs at least one payment")
    dates = [due for due, _ in payments]
    if any(later <= earlier for earlier, later in pairwise([advance_date, *dates])):
        raise ValueError("payments must fall after the advance, in date order, one a day")
    for _, amount in payments:
        _require_positive_int(amount, "payment")
    unit = unit_period(advance_date, dates)
    day = _series_day(dates)
    timed = []
    for due, amount in payments:
        t, f = unit_periods_between(advance_date, due, unit, day)
        timed.append(TimedPayment(amount, t, f))
    return Schedule(unit, tuple(timed))


def general_equation(plan: Schedule, rate: Decimal) -> Decimal:
    """The right-hand side of (b)(8) at unit-period rate `rate`, in minor units."""
    with localcontext(prec=PRECISION):
        return sum((_discounted(p, rate)[0] for p in plan.payments), Decimal(0))


def unit_period_rate(amount_financed_minor: int, plan: Schedule) -> Decimal:
    """The rate i solving the general equation (b)(8) for `amount_financed_minor`."""
    _require_positive_int(amount_financed_minor, "amount financed")
    total = sum(p.amount_minor for p in plan.payments)
    if total == amount_financed_minor:
        return Decimal(0)
    if total < amount_financed_minor:
        raise ValueError("the total of payments is less than the amount financed")
    with localcontext(prec=PRECISION):
        rate = Decimal(0)
        for _ in range(_MAX_ITERATIONS):
            value, slope = Decimal(0), Decimal(0)
            for payment in plan.payments:
                term, derivative = _discounted(payment, rate)
                value += term
                slope += derivative
            step = (value - amount_financed_minor) / slope
            rate -= step
            if abs(step) <= _TOLERANCE:
                return +rate
    raise ArithmeticError("the unit-period rate did not converge")


def unit_period(advance_date: date, dates: Sequence[date]) -> UnitPeriod:
    """The unit-period of Appendix J (b)(4) for payments due on `dates`."""
    if len(dates) == 1:
        return _single_payment_unit(advance_date, dates[0])
    day = _series_day(dates)
    points = [advance_date, *dates]
    fits: list[set[tuple[str, int]]] = [set() for _ in dates]
    for k, (earlier, later) in enumerate(pairwise(points)):
        days = (later - earlier).days
        months = _whole_months(earlier, later, day)
        if months and months <= 12:
            fits[k].add((MONTH, months))
        if days % 7 == 0 and days <= 364:
            fits[k].add((WEEK, days // 7))
    for k in range(len(points) - 2):
        halves = ((points[k + 1] - points[k]).days, (points[k + 2] - points[k + 1]).days)
        if _whole_months(points[k], points[k + 2], day) == 1 and all(
            13 <= half <= 17 for half in halves
        ):
            fits[k].add((SEMIMONTH, 1))
            fits[k + 1].add((SEMIMONTH, 1))
    counts = Counter(interval for fit in fits for interval in fit)
    common = [(n, interval) for interval, n in counts.items() if n > 1]
    if common:
        _, best = min(common, key=lambda item: (-item[0], _approximate_days(item[1])))
    else:
        average = Fraction((dates[-1] - advance_date).days, len(dates))
        best = min(
            _STANDARD_INTERVALS,
            key=lambda s: (abs(_approximate_days(s) - average), _approximate_days(s)),
        )
    return _unit(*best)


def unit_periods_between(
    earlier: date, later: date, unit: UnitPeriod, series_day: int | None = None
) -> tuple[int, Fraction]:
    """Whole unit-periods t and the fraction f from `earlier` to `later` (Appendix J (b)(5)).

    `series_day` is the day of the month the payments fall on (31 for the last day); it
    decides how a month cut short is measured (b)(3)(iv). Default: `later`'s day.
    """
    day = series_day or later.day
    if unit.kind == TERM:
        return 1, Fraction(0)
    if unit.kind in (DAY, WEEK):
        per_unit = 7 * unit.length if unit.kind == WEEK else 1
        t, days = divmod((later - earlier).days, per_unit)
        return t, Fraction(days, per_unit)
    months, days = _months_and_days(earlier, later, day)
    if unit.kind == YEAR:
        years, months = divmod(months, 12)
        if days == 0:
            return years, Fraction(months, 12)
        start = _months_back(later, 12 * years, day)
        return years, Fraction((start - earlier).days, 365)
    per_unit = 15 if unit.kind == SEMIMONTH else 30 * unit.length
    t, rest = divmod(30 * months + days, per_unit)
    return t, Fraction(rest, per_unit)


# -- (b)(4) and (b)(5): unit-periods ------------------------------------------------------


_STANDARD_INTERVALS = (
    [(DAY, 1), (SEMIMONTH, 1)]
    + [(WEEK, n) for n in range(1, 53)]
    + [(MONTH, n) for n in range(1, 13)]
)


def _approximate_days(interval: tuple[str, int]) -> Fraction:
    """A standard interval's length in days, only to compare intervals with each other."""
    kind, n = interval
    return {
        DAY: Fraction(1),
        WEEK: Fraction(7 * n),
        SEMIMONTH: Fraction(365, 24),
        MONTH: Fraction(365 * n, 12),
    }[kind]


def _unit(kind: str, n: int) -> UnitPeriod:
    if kind == MONTH and n == 12:
        return UnitPeriod(YEAR, 1, Fraction(1))
    per_year = {DAY: Fraction(365), WEEK: Fraction(52, n), SEMIMONTH: Fraction(24)}
    return UnitPeriod(kind, n, per_year.get(kind, Fraction(12, n)))


def _single_payment_unit(advance_date: date, due: date) -> UnitPeriod:
    """(b)(4)(ii): the term, but not over a year; (b)(5)(vi), (vii): unit-periods a year."""
    months, days = _months_and_days(advance_date, due, due.day)
    if months >= 12:
        return UnitPeriod(YEAR, 1, Fraction(1))
    if days == 0:
        return UnitPeriod(TERM, months, Fraction(12, months))
    term_days = (due - advance_date).days
    return UnitPeriod(TERM, term_days, Fraction(365, term_days))


def _series_day(dates: Sequence[date]) -> int:
    """The day of the month the payments fall on: the most frequent, the later on a tie."""
    counts = Counter(d.day for d in dates)
    return max(counts, key=lambda day: (counts[day], day))


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _months_back(later: date, months: int, series_day: int) -> date:
    """`later` moved back by whole months (b)(3)(iv): a date on a month's last day that
    stands for a later series day (28 February in a series on the 30th) moves back to it."""
    year, month = divmod(later.year * 12 + later.month - 1 - months, 12)
    day = later.day
    if day == _last_day(later.year, later.month) and series_day > day:
        day = series_day
    return date(year, month + 1, min(day, _last_day(year, month + 1)))


def _months_and_days(earlier: date, later: date, series_day: int) -> tuple[int, int]:
    """Whole months counted back from `later`, and the days from `earlier` to the first."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    while months > 0 and _months_back(later, months, series_day) < earlier:
        months -= 1
    return months, (_months_back(later, months, series_day) - earlier).days


def _whole_months(earlier: date, later: date, series_day: int) -> int:
    """The number of months from `earlier` to `later` if it is whole, else 0."""
    months, days = _months_and_days(earlier, later, series_day)
    return months if days == 0 else 0


# -- (b)(8): the general equation ----------------------------------------------------------


def _discounted(payment: TimedPayment, rate: Decimal) -> tuple[Decimal, Decimal]:
    """P / ((1 + f·i)(1 + i)^t) and its derivative in i (call within a PRECISION context)."""
    f = Decimal(payment.f.numerator) / payment.f.denominator
    simple = 1 + f * rate
    value = payment.amount_minor / (simple * (1 + rate) ** payment.t)
    return value, -value * (f / simple + payment.t / (1 + rate))


def _require_positive_int(amount: int, what: str) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError(f"the {what} must be a positive whole number of minor units")
