"""Models as the API's JSON: amounts in integer minor units with the currency, dates ISO 8601,
times in UTC with a "Z"."""

from datetime import date, datetime

from portal.extensions import db
from portal.models import Delivery, Invoice, Patient, Payment, PaymentLink, Plan
from portal.services.billing import invoices


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def moment(value: datetime | None) -> str | None:
    """A stored naive-UTC timestamp as ISO 8601 in UTC."""
    return value.replace(microsecond=0).isoformat() + "Z" if value else None


def patient(record: Patient) -> dict:
    return {
        "id": record.id,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "date_of_birth": day(record.date_of_birth),
        "email": record.email,
        "phone": record.phone,
        "locale": record.locale,
        "email_consent": record.email_consent,
        "sms_consent": record.sms_consent,
        "email_attachments": record.email_attachments,
        "paper_records": record.paper_records,
        "created_at": moment(record.created_at),
    }


def invoice_summary(record: Invoice) -> dict:
    """The fields of an invoice shown in lists: no lines, payments or plans."""
    totals = invoices.summarize(record)
    return {
        "id": record.id,
        "number": record.number,
        "patient_id": record.patient_id,
        "status": record.status,
        "currency": record.currency,
        "issued_on": day(record.issued_on),
        "due_on": day(record.due_on),
        "charged_minor": totals.charged_minor,
        "insurance_paid_minor": totals.insurance_paid_minor,
        "adjustment_minor": totals.adjustment_minor,
        "patient_share_minor": totals.patient_share_minor,
        "paid_minor": totals.paid_minor,
        "credits_minor": totals.credits_minor,
        "balance_minor": totals.balance_minor,
        "created_at": moment(record.created_at),
        "paid_at": moment(record.paid_at),
        "voided_at": moment(record.voided_at),
    }


def invoice(record: Invoice) -> dict:
    """An invoice with its lines, its payments and its installment plans."""
    return {
        **invoice_summary(record),
        "lines": [
            {
                "position": line.position,
                "service_date": day(line.service_date),
                "procedure_code": line.procedure_code,
                "description": line.description,
                "charged_minor": line.charged_minor,
                "insurance_paid_minor": line.insurance_paid_minor,
                "adjustment_minor": line.adjustment_minor,
                "patient_share_minor": line.patient_share_minor,
            }
            for line in record.lines
        ],
        "payments": payments_of(record),
        "plans": [plan(p) for p in plans_of(record)],
    }


def payments_of(record: Invoice) -> list[dict]:
    """Every payment attempt on the invoice, oldest first, whatever its state."""
    query = db.select(Payment).filter_by(invoice_id=record.id).order_by(Payment.id)
    return [payment(p) for p in db.session.scalars(query)]


def payment(record: Payment) -> dict:
    return {
        "id": record.id,
        "status": record.status,
        "amount_minor": record.amount_minor,
        "currency": record.currency,
        "method": record.method,
        "method_label": record.method_label,
        "receipt_number": record.receipt_number,
        "refunded_minor": record.refunded_minor,
        "failure_code": record.failure_code,
        "created_at": moment(record.created_at),
        "succeeded_at": moment(record.succeeded_at),
    }


def link(record: PaymentLink, url: str | None) -> dict:
    return {
        "id": record.id,
        "url": url,
        "expires_at": moment(record.expires_at),
        "created_at": moment(record.created_at),
    }


def delivery(record: Delivery) -> dict:
    return {
        "id": record.id,
        "channel": record.channel,
        "recipient": record.recipient,
        "status": record.status,
        "attempts": record.attempts,
        "last_error": record.last_error,
        "sent_at": moment(record.sent_at),
        "next_attempt_at": moment(record.next_attempt_at),
    }


def plans_of(record: Invoice) -> list[Plan]:
    query = db.select(Plan).filter_by(invoice_id=record.id).order_by(Plan.id.desc())
    return list(db.session.scalars(query))


def plan(record: Plan) -> dict:
    return {
        "id": record.id,
        "status": record.status,
        "installment_count": record.installment_count,
        "total_minor": record.total_minor,
        "down_payment_minor": record.down_payment_minor,
        "apr": record.apr,
        "signed_at": moment(record.signed_at),
        "installments": [
            {
                "sequence": i.sequence,
                "due_on": day(i.due_on),
                "amount_minor": i.amount_minor,
                "status": i.status,
                "attempts": i.attempts,
                "next_attempt_on": day(i.next_attempt_on),
            }
            for i in record.installments
        ],
    }
