"""Installment schedules: a down payment today and monthly installments that add up exactly.

Remainder rule: the amount after the down payment is split into equal installments of whole
minor units; the cents left over are added one each to the first installments, so no two
installments differ by more than one cent and the schedule sums to the balance exactly.
Due dates fall on the same day of each following month, or on the policy's day of the month;
a day the month does not have moves to its last day (31 January -> 28 or 29 February).
"""

import calendar
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Step:
    #: 0 is the down payment, 1..n the installments
    sequence: int
    due_on: date
    amount_minor: int


def add_months(start: date, months: int, day: int | None = None) -> date:
    """`start` moved by `months`, on `day` (default start's day), clamped to the month's end."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day or start.day, last))


def split(amount_minor: int, count: int) -> list[int]:
    """`amount_minor` in `count` parts that differ by at most one, larger parts first."""
    if count <= 0 or amount_minor < 0:
        raise ValueError("a positive count and a non-negative amount are needed")
    base, remainder = divmod(amount_minor, count)
    return [base + 1 if i < remainder else base for i in range(count)]


def build(
    total_minor: int, down_minor: int, count: int, start: date, day_of_month: int | None = None
) -> list[Step]:
    """The down payment on `start` (no step when it is zero), then `count` monthly
    installments of the rest."""
    if not 0 <= down_minor < total_minor:
        raise ValueError("the down payment must be at least zero and less than the total")
    steps = [Step(0, start, down_minor)] if down_minor else []
    for number, amount in enumerate(split(total_minor - down_minor, count), start=1):
        steps.append(Step(number, add_months(start, number, day_of_month), amount))
    return steps
