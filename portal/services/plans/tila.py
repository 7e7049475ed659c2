"""Truth in Lending (Regulation Z, 12 CFR 1026.18) for a patient payment plan.

When it applies: a US practice's plan that carries a finance charge (an early-payment discount
given up by paying in installments) or is payable in more than four installments (1026.1(c),
1026.2(a)(17)). The box states, from the plan's own figures:

- the creditor (18(a)); the amount financed (18(b)) with its itemization (18(c)): cash price
  less the down payment; the finance charge (18(d)) and the annual percentage rate (18(e));
- the payment schedule (18(g)) as groups of equal payments, e.g. 3 payments of $583.34
  then 9 of $583.33, each with its first date;
- the total of payments (18(h)) = amount financed + finance charge = the installments'
  sum, and the total sale price (18(j)) = total of payments + down payment;
- prepayment (18(k)), late payment (18(l)) and the reference to the contract (18(p)).
  The plan takes no security interest (18(m)): a saved card or mandate is a payment method.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

#: APR above which the owner is warned that a discount makes plans expensive credit
HIGH_APR = Decimal("36")


@dataclass(frozen=True)
class PaymentGroup:
    """Consecutive installments of the same amount."""

    count: int
    amount_minor: int
    first_due_on: date


@dataclass(frozen=True)
class Box:
    creditor: str
    cash_price_minor: int
    down_payment_minor: int
    amount_financed_minor: int
    finance_charge_minor: int
    apr: str
    groups: list[PaymentGroup]
    total_of_payments_minor: int
    total_sale_price_minor: int


def applies(country: str, finance_charge_minor: int, installment_count: int) -> bool:
    """Whether Regulation Z requires the disclosure for this plan."""
    return country == "US" and (finance_charge_minor > 0 or installment_count > 4)


def groups(payments: list[tuple[date, int]]) -> list[PaymentGroup]:
    """`(due date, amount)` payments in date order as runs of equal amounts."""
    runs: list[PaymentGroup] = []
    for due_on, amount in payments:
        if runs and runs[-1].amount_minor == amount:
            last = runs[-1]
            runs[-1] = PaymentGroup(last.count + 1, amount, last.first_due_on)
        else:
            runs.append(PaymentGroup(1, amount, due_on))
    return runs


def box(plan) -> Box:
    """The figures of `plan`'s Truth in Lending box (whether or not it applies)."""
    later = [(i.due_on, i.amount_minor) for i in plan.installments if i.sequence > 0]
    total_of_payments = sum(amount for _, amount in later)
    down = plan.down_payment_minor
    return Box(
        creditor=plan.invoice.practice.name,
        cash_price_minor=plan.amount_financed_minor + down,
        down_payment_minor=down,
        amount_financed_minor=plan.amount_financed_minor,
        finance_charge_minor=plan.finance_charge_minor,
        apr=plan.apr,
        groups=groups(later),
        total_of_payments_minor=total_of_payments,
        total_sale_price_minor=total_of_payments + down,
    )


def high_apr_warning(aprs: list[Decimal]) -> Decimal | None:
    """The highest APR when it is above `HIGH_APR` (for warning owners), else None."""
    top = max(aprs, default=Decimal(0))
    return top if top > HIGH_APR else None
