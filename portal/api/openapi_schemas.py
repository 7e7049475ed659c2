"""The schemas of the OpenAPI document (components/schemas), as plain dicts."""

from portal.api.parsing import MAX_AMOUNT, MAX_ID, MAX_LINES
from portal.models.invoice import INVOICE_STATUSES
from portal.models.payment import METHODS, PAYMENT_STATUSES
from portal.models.plan import INSTALLMENT_STATUSES, PLAN_STATUSES
from portal.services.billing.patients import LANGUAGES
from portal.services.messaging import CHANNELS


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str], **properties) -> dict:
    return {"type": "object", "required": required, "properties": properties}


def enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


def nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
DATE = {"type": "string", "format": "date", "example": "2026-11-01"}
TIME = {"type": "string", "format": "date-time"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
AMOUNT = {"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT}
MINOR = {"type": "integer", "description": "integer minor units of `currency` (cents)"}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$", "example": "EUR"}


def text(max_length: int, **extra) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": max_length, **extra}


def optional(max_length: int, what: str, example: str) -> dict:
    """A string that may be empty or null, meaning none."""
    description = f"{what}; empty or null for none"
    return {
        "type": "string",
        "maxLength": max_length,
        "nullable": True,
        "description": description,
        "example": example,
    }


LINE_AMOUNTS = ("charged_minor", "insurance_paid_minor", "adjustment_minor")
SUMMARY = dict(
    id=ID,
    number=STR,
    patient_id=ID,
    status=enum(INVOICE_STATUSES),
    currency=CURRENCY,
    issued_on=DATE,
    due_on=DATE,
    **dict.fromkeys((*LINE_AMOUNTS, "patient_share_minor", "paid_minor", "credits_minor"), MINOR),
    balance_minor={**MINOR, "description": "what the patient still owes, from the ledger"},
    created_at=TIME,
    paid_at=nullable(TIME),
    voided_at=nullable(TIME),
)
LINE = dict(
    position=INT,
    service_date=DATE,
    procedure_code=nullable(STR),
    description=STR,
    **dict.fromkeys((*LINE_AMOUNTS, "patient_share_minor"), MINOR),
)
INSTALLMENT = obj(
    ["sequence", "due_on", "amount_minor", "status"],
    sequence={"type": "integer", "minimum": 0, "description": "0 is the down payment"},
    due_on=DATE,
    amount_minor=MINOR,
    status=enum(INSTALLMENT_STATUSES),
    attempts=INT,
    next_attempt_on=nullable(DATE),
)
PLANS = {
    "type": "array",
    "description": "The invoice's installment plans, newest first.",
    "items": obj(
        ["id", "status", "installment_count", "down_payment_minor", "installments"],
        id=ID,
        status=enum(PLAN_STATUSES),
        installment_count=INT,
        total_minor=MINOR,
        down_payment_minor=MINOR,
        apr=STR,
        signed_at=nullable(TIME),
        installments={"type": "array", "items": INSTALLMENT},
    ),
}

DOCUMENT_PREFERENCES = {
    "email_attachments": {
        **BOOL,
        "default": False,
        "description": "receipts and agreements as email attachments (needs an email); "
        "otherwise emails carry the link only",
    },
    "paper_records": {
        **BOOL,
        "default": False,
        "description": "the patient withdrew consent to electronic records (ESIGN): paper",
    },
}

SCHEMAS = {
    "Error": obj(["error"], error=obj(["code", "message"], code=STR, message=STR, field=STR)),
    "PatientInput": obj(
        ["first_name", "last_name", "date_of_birth"],
        first_name=text(100),
        last_name=text(100),
        date_of_birth={**DATE, "example": "1984-03-09"},
        email=optional(254, "an email address", "giulia@example.org"),
        phone=optional(32, "a mobile number with its country code", "+39 333 123 4567"),
        locale={**enum(LANGUAGES), "description": "default: the practice's language"},
        email_consent={**BOOL, "default": True},
        sms_consent={**BOOL, "default": False},
        **DOCUMENT_PREFERENCES,
    ),
    "PreferencesInput": obj(
        [],
        email_consent=nullable(BOOL),
        sms_consent=nullable(BOOL),
        email_attachments=nullable(BOOL),
        paper_records=nullable(BOOL),
    ),
    "Patient": obj(
        ["id", "first_name", "last_name", "date_of_birth", "email", "phone", "locale"],
        id=ID,
        first_name=STR,
        last_name=STR,
        date_of_birth=DATE,
        email=nullable(STR),
        phone=nullable(STR),
        locale=nullable(STR),
        email_consent=BOOL,
        sms_consent=BOOL,
        email_attachments=BOOL,
        paper_records=BOOL,
        created_at=TIME,
    ),
    "InvoiceLineInput": obj(
        ["service_date", "description", "charged_minor"],
        service_date=DATE,
        description=text(300),
        procedure_code=optional(20, "CDT/CPT or the practice's own code", "D2391"),
        charged_minor=AMOUNT,
        insurance_paid_minor={**AMOUNT, "default": 0},
        adjustment_minor={**AMOUNT, "default": 0},
    ),
    "InvoiceInput": obj(
        ["patient_id", "number", "issued_on", "due_on", "lines"],
        patient_id=ID,
        number=text(40),
        issued_on=DATE,
        due_on=DATE,
        lines={
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_LINES,
            "items": ref("InvoiceLineInput"),
        },
        draft={**BOOL, "default": False, "description": "true: create a draft, issue it later"},
        currency={**CURRENCY, "description": "optional; must be the practice's currency"},
    ),
    "InvoiceSummary": obj(list(SUMMARY), **SUMMARY),
    "InvoiceLine": obj(list(LINE), **LINE),
    "Invoice": obj(
        [*SUMMARY, "lines", "payments", "plans"],
        **SUMMARY,
        lines={"type": "array", "items": ref("InvoiceLine")},
        payments={"type": "array", "items": ref("Payment")},
        plans=PLANS,
    ),
    "InvoiceList": obj(
        ["data", "total", "limit", "offset"],
        data={"type": "array", "items": ref("InvoiceSummary")},
        total=INT,
        limit=INT,
        offset=INT,
    ),
    "Payment": obj(
        ["id", "status", "amount_minor", "currency", "method", "refunded_minor"],
        id=ID,
        status=enum(PAYMENT_STATUSES),
        amount_minor=MINOR,
        currency=CURRENCY,
        method=enum(METHODS),
        method_label=nullable(STR),
        receipt_number=nullable(STR),
        refunded_minor=MINOR,
        failure_code=nullable(STR),
        created_at=TIME,
        succeeded_at=nullable(TIME),
    ),
    "PaymentList": obj(["data"], data={"type": "array", "items": ref("Payment")}),
    "Link": obj(
        ["id", "url", "expires_at"],
        id=ID,
        url=nullable(
            {
                **STR,
                "format": "uri",
                "description": (
                    "the patient's private link, shown once; null in a replayed "
                    "(Idempotency-Key) answer, as tokens are never stored: create a new link"
                ),
            }
        ),
        expires_at=TIME,
        created_at=TIME,
    ),
    "SendInput": obj(["channel"], channel=enum(CHANNELS)),
    "Delivery": obj(
        ["id", "channel", "recipient", "status", "attempts", "last_error"],
        id=ID,
        channel=enum(CHANNELS),
        recipient=STR,
        status={"type": "string", "enum": ["queued", "sent", "failed", "skipped"]},
        attempts=INT,
        last_error=nullable(STR),
        sent_at=nullable(TIME),
        next_attempt_at=nullable(TIME),
    ),
    "CodiceFiscaleInput": obj(
        ["codice_fiscale"],
        codice_fiscale=text(
            20, description="the patient's Italian codice fiscale", example="BNCGLI84C49H501F"
        ),
    ),
    "CodiceFiscale": obj(
        ["patient_id", "codice_fiscale"], patient_id=ID, codice_fiscale=nullable(STR)
    ),
}
