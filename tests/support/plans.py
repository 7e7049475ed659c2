"""A patient's plan chosen, paid by card, consented to and signed, as the plan pages do it;
shared by the plan and payment-method tests."""

from datetime import date

from portal.extensions import db
from portal.models import Invoice, Plan, PlanPolicy
from portal.models.audit import ActorKind
from portal.models.payment import PaymentMethod
from portal.services.core.audit import Actor
from portal.services.plans import agreements, plans

PATIENT = Actor(ActorKind.PATIENT, "link:test", "198.51.100.7")
START = date(2026, 1, 31)


def policy(practice, **values) -> PlanPolicy:
    """The practice's plan policy (defaults unless `values` say otherwise), committed."""
    record = PlanPolicy(practice_id=practice.id, **values)
    db.session.add(record)
    db.session.commit()
    return record


def signed_card_plan(
    invoice: Invoice, count: int = 6, start: date = START, locale: str | None = None
) -> Plan:
    """A `count`-installment plan of `invoice` from `start`, to be paid by card, viewed,
    consented to and signed by the patient (with the Italian separate approval), committed;
    the practice has a default policy."""
    policy(invoice.practice)
    plan = plans.choose(invoice, count, start, locale or invoice.patient.locale or "en", PATIENT)
    agreements.choose_method(plan, PaymentMethod.CARD, PATIENT)
    agreements.record_event(plan, "viewed", PATIENT)
    agreements.consent(plan, PATIENT)
    agreements.sign(
        plan,
        typed_name=invoice.patient.full_name,
        signature_png=None,
        shown_sha256=agreements.document_sha256(plan),
        actor=PATIENT,
        user_agent="pytest",
        time_zone="Europe/Rome",
        onerous_approved=True,
        onerous_name=invoice.patient.full_name,
    )
    db.session.commit()
    return plan
