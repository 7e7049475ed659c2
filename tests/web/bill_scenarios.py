"""Bills in several states, built straight into the database, for the bill page tests."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from portal.extensions import db
from portal.models import DiscountPolicy, Payment, PlanPolicy, Refund, SettlementOffer
from portal.models.plan import Installment, Plan
from portal.services.access import links
from portal.services.billing import invoices, ledger
from portal.services.core.audit import SYSTEM
from tests import factories

#: a fixed payment time, so the page text does not depend on the clock
PAID_AT = datetime(2026, 11, 20, 9, 30)
CSRF = re.compile(r'content="[^"]+" name="csrf-token"|name="csrf-token" content="[^"]+"')


def practice_today() -> date:
    return datetime.now(ZoneInfo("Europe/Rome")).date()


def normalised(html: str) -> str:
    """The page without its CSRF token, which changes with every session."""
    return CSRF.sub('name="csrf-token"', html)


def _payments(invoice, count: int, refunded: int = 0) -> None:
    """`count` desk payments of €1.00 each, the first `refunded` of them refunded by €0.40."""
    for n in range(count):
        payment = Payment(
            invoice_id=invoice.id,
            amount_minor=100,
            currency=invoice.currency,
            method="cash" if n % 2 else "card",
            method_label=None if n % 2 else "visa •••• 4242",
            status="succeeded",
            succeeded_at=PAID_AT + timedelta(minutes=n),
            receipt_number=f"R{invoice.id}-{n:03d}",
        )
        db.session.add(payment)
        db.session.flush()
        ledger.post(invoice, "payment", 100, payment_id=payment.id)
        if n < refunded:
            refund = Refund(
                payment_id=payment.id, amount_minor=40, currency=invoice.currency, reason="fix"
            )
            refund.status = "succeeded"
            db.session.add(refund)
            db.session.flush()
            ledger.post(invoice, "refund", 40).refund_id = refund.id
            ledger.post(invoice, "adjustment", 40)


def _plan(invoice, status="active") -> None:
    plan = Plan(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        currency=invoice.currency,
        status=status,
        total_minor=15450,
        down_payment_minor=4450,
        installment_count=2,
        amount_financed_minor=11000,
        agreement_version="2026-11-v1",
        language="en",
        method="card",
        signed_at=PAID_AT,
    )
    schedule = [
        (date(2026, 11, 20), 4450, "paid"),
        (date(2026, 12, 20), 5500, "failed"),
        (date(2027, 1, 20), 5500, "scheduled"),
    ]
    for sequence, (due, amount, state) in enumerate(schedule):
        plan.installments.append(
            Installment(sequence=sequence, due_on=due, amount_minor=amount, status=state)
        )
    plan.installments[1].next_attempt_on = date(2026, 12, 23)
    db.session.add(plan)


def build(kind: str, payments: int = 0, locale: str = "en") -> tuple[int, str]:
    """A bill of `kind` ("plain", "incentives", "plan", "paid") with `payments` prior
    payments; returns (invoice id, link token). Call inside an app context."""
    practice = factories.practice()
    patient = factories.patient(practice, locale=locale)
    issued = practice_today() if kind == "incentives" else date(2026, 11, 1)
    invoice = factories.invoice(patient, (12000, 3450, 20000), today=issued)
    _payments(invoice, payments, refunded=min(payments, 3))
    if kind == "incentives":
        db.session.add(DiscountPolicy(practice_id=practice.id, percent=5, within_days=10))
        db.session.add(PlanPolicy(practice_id=practice.id))
        db.session.add(
            SettlementOffer(
                practice_id=practice.id,
                invoice_id=invoice.id,
                amount_minor=20000,
                expires_on=practice_today() + timedelta(days=7),
            )
        )
    if kind == "plan":
        db.session.add(PlanPolicy(practice_id=practice.id))
        _plan(invoice)
    if kind == "pending":
        db.session.add(
            Payment(
                invoice_id=invoice.id,
                amount_minor=1000,
                currency=invoice.currency,
                method="sepa_debit",
                status="processing",
            )
        )
    if kind == "paid":
        remaining = ledger.balance(invoice.id)
        payment = Payment(
            invoice_id=invoice.id,
            amount_minor=remaining,
            currency=invoice.currency,
            method="cash",
            status="succeeded",
            succeeded_at=PAID_AT,
            receipt_number=f"R{invoice.id}-FULL",
        )
        db.session.add(payment)
        db.session.flush()
        ledger.post(invoice, "payment", remaining, payment_id=payment.id)
        invoices.settle_if_paid(invoice, SYSTEM)
    _, token = links.issue(invoice, SYSTEM)
    db.session.commit()
    return invoice.id, token
