"""Invoices: create (issued, or as a draft), read, list, issue a draft, list its payments."""

from flask import g, request

from portal.api import bp
from portal.api.access import practice, scoped
from portal.api.errors import ApiError
from portal.api.idempotency import mutation
from portal.api.parsing import (
    MAX_AMOUNT,
    MAX_ID,
    MAX_LINES,
    MAX_PAGE,
    Fields,
    invalid,
    json_body,
    query_int,
)
from portal.api.serializers import invoice as invoice_json
from portal.api.serializers import invoice_summary, payments_of
from portal.extensions import db
from portal.models import Invoice, Patient
from portal.models.invoice import INVOICE_STATUSES
from portal.services.billing import invoices
from portal.services.billing.invoices import InvalidInvoice, LineInput


def _lines(fields: Fields) -> list[LineInput]:
    lines = []
    for line in fields.objects("lines", MAX_LINES):
        lines.append(
            LineInput(
                service_date=line.day("service_date"),
                description=line.text("description", 300, multiline=True),
                procedure_code=line.text("procedure_code", 20, required=False),
                charged_minor=line.amount("charged_minor", required=True),
                insurance_paid_minor=line.amount("insurance_paid_minor"),
                adjustment_minor=line.amount("adjustment_minor"),
            )
        )
    if sum(line.charged_minor for line in lines) > MAX_AMOUNT:
        raise invalid("lines", f"The lines' charges must add up to at most {MAX_AMOUNT}.")
    return lines


@bp.post("/invoices")
@mutation()
def create_invoice():
    fields = Fields(json_body())
    patient_id = fields.identifier("patient_id")
    number = fields.text("number", 40)
    issued_on, due_on = fields.day("issued_on"), fields.day("due_on")
    lines = _lines(fields)
    draft = fields.boolean("draft", False)
    currency = fields.text("currency", 3, required=False)
    if currency is not None and currency != practice().currency:
        message = f"This practice bills in {practice().currency}; amounts must be in it too."
        raise invalid("currency", message)
    patient = scoped(Patient, patient_id, "patient")
    try:
        record = invoices.create_invoice(
            patient,
            number=number,
            issued_on=issued_on,
            due_on=due_on,
            lines=lines,
            actor=g.actor,
            draft=draft,
        )
    except InvalidInvoice as exc:
        taken = db.select(Invoice.id).filter_by(practice_id=g.practice_id, number=number.strip())
        if db.session.scalar(taken) is not None:
            raise ApiError(409, "duplicate_number", exc.args[0], "number") from exc
        raise ApiError(422, "validation_error", exc.args[0]) from exc
    return invoice_json(record), 201


@bp.get("/invoices/<int:invoice_id>")
def get_invoice(invoice_id: int):
    return invoice_json(scoped(Invoice, invoice_id, "invoice"))


FILTERS = ("status", "patient_id", "limit", "offset")


@bp.get("/invoices")
def list_invoices():
    """Unknown query parameters are refused: a misspelt filter must not list everything."""
    for name in request.args:
        if name not in FILTERS:
            raise invalid(name, f"Unknown query parameter {name}; use {', '.join(FILTERS)}.")
    query = db.select(Invoice).filter_by(practice_id=g.practice_id)
    status = request.args.get("status")
    if status is not None:
        if status not in INVOICE_STATUSES:
            options = ", ".join(INVOICE_STATUSES)
            raise invalid("status", f"status must be one of {options}.")
        query = query.filter_by(status=status)
    if "patient_id" in request.args:
        query = query.filter_by(patient_id=query_int("patient_id", 0, 1, MAX_ID))
    limit = query_int("limit", 50, 1, MAX_PAGE)
    offset = query_int("offset", 0, 0, MAX_ID)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    page = db.session.scalars(query.order_by(Invoice.id).limit(limit).offset(offset))
    return {
        "data": [invoice_summary(record) for record in page],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@bp.post("/invoices/<int:invoice_id>/issue")
@mutation()
def issue_invoice(invoice_id: int):
    json_body(optional=True)
    record = scoped(Invoice, invoice_id, "invoice")
    try:
        invoices.issue(record, g.actor)
    except InvalidInvoice as exc:
        raise ApiError(409, "invalid_state", exc.args[0]) from exc
    return invoice_json(record), 200


@bp.get("/invoices/<int:invoice_id>/payments")
def list_payments(invoice_id: int):
    return {"data": payments_of(scoped(Invoice, invoice_id, "invoice"))}
