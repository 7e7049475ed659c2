"""SQLAlchemy 2 typed models, one module per aggregate."""

from portal.models.audit import AuditEvent
from portal.models.collections import (
    Alert,
    CadenceStep,
    CallTask,
    CollectionState,
    ConsentRecord,
    DiscountPolicy,
    ReminderLog,
    SettlementOffer,
)
from portal.models.delivery import Delivery, IdempotentResponse
from portal.models.dispute import Dispute
from portal.models.invoice import Invoice, InvoiceLine
from portal.models.ledger import LedgerEntry
from portal.models.link import PaymentLink, VerificationAttempt
from portal.models.money_records import InstallationIdentity, PaymentTerms
from portal.models.outbox import OutboxMessage
from portal.models.patient import Patient
from portal.models.payment import Payment, Refund
from portal.models.pending_work import PendingWork
from portal.models.plan import Installment, Plan, PlanPolicy
from portal.models.practice import Practice
from portal.models.staff import ApiKey, LoginAttempt, StaffUser
from portal.models.stripe_event import StripeEvent

__all__ = [
    "Alert",
    "ApiKey",
    "AuditEvent",
    "CadenceStep",
    "CallTask",
    "CollectionState",
    "ConsentRecord",
    "Delivery",
    "DiscountPolicy",
    "Dispute",
    "IdempotentResponse",
    "InstallationIdentity",
    "Installment",
    "Invoice",
    "InvoiceLine",
    "LedgerEntry",
    "LoginAttempt",
    "OutboxMessage",
    "Patient",
    "Payment",
    "PaymentLink",
    "PaymentTerms",
    "PendingWork",
    "Plan",
    "PlanPolicy",
    "Practice",
    "Refund",
    "ReminderLog",
    "SettlementOffer",
    "StaffUser",
    "StripeEvent",
    "VerificationAttempt",
]
