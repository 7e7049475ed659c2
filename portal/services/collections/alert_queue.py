"""The alerts queue: a practice's open alerts, most severe first, then oldest first."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.orm import contains_eager

from portal.extensions import db
from portal.models import Alert, Invoice, Patient, Plan
from portal.services.collections.alert_detection import RUNNING
from portal.services.collections.alerts import SEVERITY

# -- the queue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    alert: Alert
    invoice: Invoice
    patient: Patient
    severity: int
    #: days since the alert was raised
    age_days: int
    balance_minor: int
    plan_running: bool
    #: the alert's data with days and moments parsed: what the page says happened
    facts: dict[str, Any]


def facts(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with ISO days ("…_on") as dates and moments ("at", "…_at") as datetimes."""
    result: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str) and key.endswith("_on"):
            value = date.fromisoformat(value)
        elif isinstance(value, str) and (key == "at" or key.endswith("_at")):
            value = datetime.fromisoformat(value)
        elif isinstance(value, dict):
            value = facts(value)
        result[key] = value
    return result


#: alerts per page of the queue
PER_PAGE = 100


def queue(practice_id: int, today: date, kind: str | None = None, *, page: int = 1) -> list[Row]:
    """Page `page` (`PER_PAGE` rows) of the practice's open alerts, most severe first, then
    oldest first; the order and the page are chosen in SQL, the balances are the ones kept
    on the invoices."""
    severity = case(SEVERITY, value=Alert.kind, else_=0)
    chosen = db.select(Alert.id.label("id"), severity.label("severity")).where(
        Alert.practice_id == practice_id, Alert.resolved_at.is_(None)
    )
    if kind:
        chosen = chosen.where(Alert.kind == kind)
    # the page is chosen from the open alerts alone, then joined to its invoices and patients
    chosen = (
        chosen.order_by(severity.desc(), Alert.raised_on, Alert.id)
        .offset((max(page, 1) - 1) * PER_PAGE)
        .limit(PER_PAGE)
        .subquery("chosen")
    )
    query = (
        db.select(Alert, Invoice.balance_minor)
        .join(chosen, chosen.c.id == Alert.id)
        .join(Invoice, Invoice.id == Alert.invoice_id)
        .options(contains_eager(Alert.invoice).joinedload(Invoice.patient, innerjoin=True))
        .order_by(chosen.c.severity.desc(), Alert.raised_on, Alert.id)
    )
    found = db.session.execute(query).all()
    alerts = [alert for alert, _balance in found]
    balances = {alert.invoice_id: balance for alert, balance in found}
    invoice_ids = set(balances)
    running = set(
        db.session.scalars(
            db.select(Plan.invoice_id).where(
                Plan.invoice_id.in_(invoice_ids), Plan.status.in_(RUNNING)
            )
        )
    )
    rows = [
        Row(
            alert=a,
            invoice=a.invoice,
            patient=a.invoice.patient,
            severity=SEVERITY[a.kind],
            age_days=max((today - a.raised_on).days, 0),
            balance_minor=int(balances.get(a.invoice_id) or 0),
            plan_running=a.invoice_id in running,
            facts=facts(a.data),
        )
        for a in alerts
    ]
    return rows


def count_open(practice_id: int, kind: str | None = None) -> int:
    """How many alerts (of `kind`, if given) the practice has open."""
    query = (
        db.select(func.count())
        .select_from(Alert)
        .where(Alert.practice_id == practice_id, Alert.resolved_at.is_(None))
    )
    if kind:
        query = query.where(Alert.kind == kind)
    return db.session.scalar(query)
