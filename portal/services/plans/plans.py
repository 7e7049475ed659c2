"""What plans a balance allows under the practice's policy, and creating one."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Invoice, Plan, PlanPolicy
from portal.models.invoice import InvoiceStatus
from portal.models.plan import Installment, PlanStatus
from portal.services.billing import ledger
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused
from portal.services.plans import apr, schedule
from portal.services.plans.schedule import Step

AGREEMENT_VERSION = "2026-12-v2"


class PlanRefused(Refused, ValueError):
    code = RefusalCode.PLAN


@dataclass(frozen=True)
class Option:
    count: int
    down_minor: int
    steps: list[Step]
    disclosure: apr.Disclosure

    @property
    def installment_minor(self) -> int:
        return next(s.amount_minor for s in self.steps if s.sequence > 0)

    @property
    def total_with_down_minor(self) -> int:
        return sum(step.amount_minor for step in self.steps)


def policy_for(practice_id: int) -> PlanPolicy | None:
    policy = db.session.scalar(db.select(PlanPolicy).filter_by(practice_id=practice_id))
    return policy if policy is not None and policy.enabled else None


#: "look the practice's deposit rule up" (the default of `minimum_down`)
LOOK_UP = -1


def minimum_down(
    policy: PlanPolicy, balance_minor: int, deposit_minor: int | None = LOOK_UP
) -> int:
    """The policy's minimum down payment, raised by the practice's deposit rule if any
    (`deposit_minor` when the caller already knows it, None for no rule)."""
    from portal.services.incentives import discounts

    by_percent = -(-balance_minor * policy.min_down_percent // 100)
    if deposit_minor == LOOK_UP:
        deposit_minor = discounts.minimum_deposit(policy.practice_id, balance_minor)
    return max(by_percent, policy.min_down_minor, deposit_minor or 0)


def allowed_counts(
    policy: PlanPolicy | None, balance_minor: int, deposit_minor: int | None = LOOK_UP
) -> list[int]:
    """The numbers of installments the policy allows for `balance_minor` (cheap: no
    schedules, no APR)."""
    if policy is None or not policy.enabled or balance_minor < max(policy.min_balance_minor, 2):
        return []
    down = minimum_down(policy, balance_minor, deposit_minor)
    if down >= balance_minor:
        return []
    return [
        count
        for count in policy.counts
        if (balance_minor - down) // count >= policy.min_installment_minor
    ]


def options(
    policy: PlanPolicy | None, balance_minor: int, today: date, forgone_minor: int = 0
) -> list[Option]:
    """Every plan the policy allows for `balance_minor`, with its schedule from `today`.

    `forgone_minor` is the early-payment discount a plan payer gives up: it is credit cost,
    so it is disclosed as finance charge (the amount financed is that much lower)."""
    counts = allowed_counts(policy, balance_minor)
    if not counts:
        return []
    down = minimum_down(policy, balance_minor)
    result = []
    for count in counts:
        steps = schedule.build(balance_minor, down, count, today, policy.day_of_month)
        financed = [(s.due_on, s.amount_minor) for s in steps if s.sequence > 0]
        disclosure = apr.disclose(balance_minor - down - forgone_minor, today, financed)
        result.append(Option(count, down, steps, disclosure))
    return result


def choose(invoice: Invoice, count: int, today: date, language: str, actor: Actor) -> Plan:
    """Create a plan awaiting signature; anything the policy does not offer is refused."""
    if invoice.status != InvoiceStatus.OPEN:
        raise PlanRefused(_l("There is nothing left to pay on this bill."))
    if active_plan(invoice) is not None:
        raise PlanRefused(_l("This bill already has a payment plan."))
    balance = ledger.balance(invoice.id)
    forgone = forgone_discount(invoice, today)
    policy = policy_for(invoice.practice_id)
    offered = {o.count: o for o in options(policy, balance, today, forgone)}
    if count not in offered:
        raise PlanRefused(_l("This payment plan is not available for this bill."))
    option = offered[count]
    for stale in db.session.scalars(
        db.select(Plan).filter_by(invoice_id=invoice.id, status=PlanStatus.PENDING_SIGNATURE)
    ):
        stale.status = PlanStatus.CANCELLED
    plan = Plan(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        currency=invoice.currency,
        total_minor=balance,
        down_payment_minor=option.down_minor,
        installment_count=count,
        amount_financed_minor=option.disclosure.amount_financed_minor,
        finance_charge_minor=option.disclosure.finance_charge_minor,
        apr=str(option.disclosure.apr),
        agreement_version=AGREEMENT_VERSION,
        language=language,
        evidence={"offered_on": today.isoformat()},
    )
    for step in option.steps:
        plan.installments.append(
            Installment(sequence=step.sequence, due_on=step.due_on, amount_minor=step.amount_minor)
        )
    db.session.add(plan)
    db.session.flush()
    audit.record(
        "plan.chosen",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        plan_id=plan.id,
        installments=count,
    )
    return plan


def active_plan(invoice: Invoice) -> Plan | None:
    """The invoice's signed plan that is still running (active or past due)."""
    query = db.select(Plan).where(
        Plan.invoice_id == invoice.id, Plan.status.in_((PlanStatus.ACTIVE, PlanStatus.PAST_DUE))
    )
    return db.session.scalar(query)


def pending_plan(invoice: Invoice) -> Plan | None:
    query = db.select(Plan).filter_by(invoice_id=invoice.id, status=PlanStatus.PENDING_SIGNATURE)
    return db.session.scalar(query.order_by(Plan.id.desc()))


def current_plan(invoice: Invoice) -> Plan | None:
    """The plan the invoice page shows: running, or finished with its history."""
    query = db.select(Plan).where(
        Plan.invoice_id == invoice.id,
        Plan.status.in_((PlanStatus.ACTIVE, PlanStatus.PAST_DUE, PlanStatus.COMPLETED)),
    )
    return db.session.scalar(query.order_by(Plan.id.desc()))


def forgone_discount(invoice: Invoice, today: date) -> int:
    """The early-payment discount the patient would give up by choosing a plan."""
    from portal.services.incentives import discounts

    return discounts.forgone_discount_minor(invoice, today)


def offered_on(plan: Plan) -> date:
    """The day the plan's schedule starts from (its down payment day)."""
    recorded = (plan.evidence or {}).get("offered_on")
    return date.fromisoformat(recorded) if recorded else plan.installments[0].due_on


def down_payment(plan: Plan) -> Installment | None:
    """The down payment installment, None when the plan has none (0% minimum)."""
    first = plan.installments[0]
    return first if first.sequence == 0 else None


def activate_without_down_payment(plan: Plan, actor: Actor) -> None:
    """A signed plan with nothing to pay down starts once its payment method is saved."""
    if plan.status != PlanStatus.PENDING_SIGNATURE or plan.signed_at is None or down_payment(plan):
        raise PlanRefused(_l("This payment plan is not available for this bill."))
    from portal.clock import utcnow

    plan.status, plan.activated_at = PlanStatus.ACTIVE, utcnow()
    audit.record(
        "plan.activated",
        practice_id=plan.practice_id,
        invoice_id=plan.invoice_id,
        actor=actor,
        plan_id=plan.id,
    )


def discard_if_stale(plan: Plan, today: date, actor: Actor) -> bool:
    """Cancel a plan awaiting signature whose down payment date has passed (its dates
    would be in the past); True when it was cancelled and must be chosen again."""
    if plan.signed_at is not None or offered_on(plan) >= today:
        return False
    plan.status = PlanStatus.CANCELLED
    audit.record(
        "plan.expired",
        practice_id=plan.practice_id,
        invoice_id=plan.invoice_id,
        actor=actor,
        plan_id=plan.id,
    )
    return True


def aprs_with_discount(
    practice_id: int, balance_minor: int, discount_minor: int, today: date
) -> list[tuple[int, Decimal]]:
    """(installments, APR) of each plan the policy offers on `balance_minor` when the
    patient gives up an early-payment discount of `discount_minor` by choosing it."""
    offered = options(policy_for(practice_id), balance_minor, today, discount_minor)
    return [(o.count, o.disclosure.apr) for o in offered]
