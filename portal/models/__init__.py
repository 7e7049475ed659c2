"""SQLAlchemy 2 typed models, one module per aggregate."""

from portal.models.alert import Alert
from portal.models.audit import AuditEvent
from portal.models.bill_question import BillQuestion
from portal.models.cadence_step import CadenceStep
from portal.models.call_task import CallTask
from portal.models.charge_attempt import ChargeAttempt, Installation, LateCharge
from portal.models.collection_state import CollectionState
from portal.models.consent_record import ConsentRecord
from portal.models.delivery import Delivery, IdempotentResponse
from portal.models.discount_policy import DiscountPolicy
from portal.models.dispute import Dispute
from portal.models.fiscal import (
    FiscalCounter,
    FiscalDocument,
    FiscalProfile,
    PatientTaxId,
    StsReminder,
    TsOpposition,
)
from portal.models.import_job import ImportJob
from portal.models.invoice import Invoice, InvoiceLine
from portal.models.kept_totals import KeptLedgerDay, KeptPatientsOwing, KeptReceivable
from portal.models.lease import InstallmentReminder, JobLease
from portal.models.ledger import LedgerEntry
from portal.models.link import PaymentLink, VerificationAttempt
from portal.models.money_records import PaymentTerms
from portal.models.outbox import OutboxMessage
from portal.models.patient import Patient
from portal.models.payment import Payment, Refund
from portal.models.pending_work import PendingWork
from portal.models.plan import Installment, Plan, PlanPolicy
from portal.models.practice import Practice
from portal.models.practice_logo import PracticeLogo
from portal.models.reminder_log import ReminderLog
from portal.models.seal_key import SealKey
from portal.models.settlement_offer import SettlementOffer
from portal.models.staff import ApiKey, LoginAttempt, RecoveryCode, StaffUser
from portal.models.stripe_event import StripeEvent

__all__ = [
    "Alert",
    "ApiKey",
    "AuditEvent",
    "BillQuestion",
    "CadenceStep",
    "CallTask",
    "ChargeAttempt",
    "CollectionState",
    "ConsentRecord",
    "Delivery",
    "DiscountPolicy",
    "Dispute",
    "FiscalCounter",
    "FiscalDocument",
    "FiscalProfile",
    "IdempotentResponse",
    "ImportJob",
    "Installation",
    "Installment",
    "InstallmentReminder",
    "Invoice",
    "InvoiceLine",
    "JobLease",
    "KeptLedgerDay",
    "KeptPatientsOwing",
    "KeptReceivable",
    "LateCharge",
    "LedgerEntry",
    "LoginAttempt",
    "OutboxMessage",
    "Patient",
    "PatientTaxId",
    "Payment",
    "PaymentLink",
    "PaymentTerms",
    "PendingWork",
    "Plan",
    "PlanPolicy",
    "Practice",
    "PracticeLogo",
    "RecoveryCode",
    "Refund",
    "ReminderLog",
    "SealKey",
    "SettlementOffer",
    "StaffUser",
    "StripeEvent",
    "StsReminder",
    "TsOpposition",
    "VerificationAttempt",
]
