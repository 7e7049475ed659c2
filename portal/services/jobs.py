"""The periodic work, run by the Huey worker every hour and by `flask jobs run-due`."""

from dataclasses import dataclass
from datetime import date

from portal.extensions import db
from portal.models import Payment
from portal.models.payment import IN_FLIGHT
from portal.services import installments, payments, sending


@dataclass(frozen=True)
class Report:
    charged: int
    paid: int
    failed: int
    reminded: int
    messages_retried: int
    read_back: int


def run_due(today: date) -> Report:
    """Everything due on `today`: read back pending payments, charge and retry installments,
    remind upcoming charges, retry failed messages. Running it twice does nothing twice."""
    read_back = 0
    pending = db.select(Payment).where(
        Payment.status.in_(IN_FLIGHT), Payment.stripe_payment_intent_id.is_not(None)
    )
    for payment in db.session.scalars(pending).all():
        payments.refresh(payment, installments.JOB)
        read_back += 1
    results = [installments.charge(installment) for installment in installments.due(today)]
    reminded = installments.remind(today)
    retried = sending.retry_due()
    db.session.commit()
    return Report(
        charged=len(results),
        paid=results.count("paid"),
        failed=results.count("failed"),
        reminded=reminded,
        messages_retried=retried,
        read_back=read_back,
    )
