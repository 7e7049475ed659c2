"""The OpenAPI 3.0.3 document of the API (`DOCUMENT`), served without a key at
GET /api/v1/openapi.json."""

import re

from flask import jsonify

from portal.api import bp
from portal.api.errors import PREFIX
from portal.api.openapi_schemas import ID, SCHEMAS, ref
from portal.api.parsing import MAX_ID, MAX_PAGE
from portal.models.invoice import INVOICE_STATUSES

ERRORS = {
    400: "The body is not valid JSON (code malformed_json).",
    401: "No valid API key (code unauthorized).",
    404: "No such object in the key's practice (code not_found).",
    409: "The object is not in a state that allows this (invalid_state, duplicate_number).",
    413: "The body is larger than 256 KiB.",
    422: "Missing or invalid field or query parameter (validation_error, with `field`), "
    "cannot_send, or idempotency_key_reused.",
    429: "Rate limited (code rate_limited).",
}
IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Any unique string (e.g. a UUID). A repeat with the same key and the same request "
        "returns the stored answer and changes nothing (header Idempotent-Replayed: true); the "
        "same key with another request is refused (422 idempotency_key_reused). Only "
        "successful answers are stored."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}


def _path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": ID}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _op(method, path, summary, ok, schema, errors=(), body=None, params=()):
    post = method == "post"
    content = {"application/json": {"schema": ref(schema)}}
    responses = {str(ok): {"description": summary, "content": content}}
    writes = method in ("post", "put")
    for status in sorted({400, 401, 413, 422, 429, *errors} if writes else {401, 429, *errors}):
        responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    parameters = [_path_id(name) for name in re.findall(r"{(\w+)}", path)] + list(params)
    operation = {
        "summary": summary,
        "tags": [path.split("/")[1]],
        "parameters": parameters + ([IDEMPOTENCY] if post else []),
        "responses": responses,
    }
    if body:
        content = {"application/json": {"schema": ref(body)}}
        operation["requestBody"] = {"required": True, "content": content}
    return operation


LIST_FILTERS = [
    _query("status", {"type": "string", "enum": list(INVOICE_STATUSES)}, "only this state"),
    _query("patient_id", ID, "only this patient's invoices"),
    _query(
        "limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 50}, "page size"
    ),
    _query(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0},
        "how many to skip",
    ),
]
#: method, path, summary, success status, response schema, errors besides the usual, body
OPERATIONS = [
    ("post", "/patients", "Create a patient", 201, "Patient", (), "PatientInput"),
    ("get", "/patients/{patient_id}", "A patient", 200, "Patient", (404,), None),
    (
        "put",
        "/patients/{patient_id}/preferences",
        "Change the patient's consents and document preferences; a field left out or null "
        "stays as it is, each change is kept as a consent record",
        200,
        "Patient",
        (404,),
        "PreferencesInput",
    ),
    (
        "put",
        "/patients/{patient_id}/codice-fiscale",
        "Set the patient's codice fiscale, checked with its check character (Italian health "
        "invoices need it)",
        200,
        "CodiceFiscale",
        (404,),
        "CodiceFiscaleInput",
    ),
    (
        "get",
        "/patients/{patient_id}/codice-fiscale",
        "The patient's codice fiscale (null when not given)",
        200,
        "CodiceFiscale",
        (404,),
        None,
    ),
    (
        "post",
        "/invoices",
        "Create an invoice, issued at once unless draft is true; the patient's share of each "
        "line (charged - insurance paid - adjustment) is posted to the ledger when issued",
        201,
        "Invoice",
        (404, 409),
        "InvoiceInput",
    ),
    ("get", "/invoices", "Invoices, oldest first", 200, "InvoiceList", (422,), None),
    (
        "get",
        "/invoices/{invoice_id}",
        "An invoice with its lines, balance, payments and installment plans",
        200,
        "Invoice",
        (404,),
        None,
    ),
    ("post", "/invoices/{invoice_id}/issue", "Issue a draft", 200, "Invoice", (404, 409), None),
    (
        "post",
        "/invoices/{invoice_id}/links",
        "A new private link for the patient; the invoice's earlier links are revoked",
        201,
        "Link",
        (404, 409),
        None,
    ),
    (
        "post",
        "/invoices/{invoice_id}/send",
        "Send a new link by email or text (earlier links are revoked); a failed delivery "
        "has status failed and last_error, and is retried",
        202,
        "Delivery",
        (404, 409),
        "SendInput",
    ),
    (
        "get",
        "/invoices/{invoice_id}/payments",
        "Every payment attempt on the invoice, oldest first",
        200,
        "PaymentList",
        (404,),
        None,
    ),
]
PATHS: dict = {
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "tags": ["meta"],
            "security": [],
            "responses": {
                "200": {
                    "description": "OpenAPI document",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
}
for method, path, summary, ok, schema, errors, body in OPERATIONS:
    params = LIST_FILTERS if (method, path) == ("get", "/invoices") else ()
    PATHS.setdefault(path, {})[method] = _op(
        method, path, summary, ok, schema, errors, body, params
    )

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {
        "title": "Saldo API",
        "version": "1.0.0",
        "description": (
            "For practice management systems: push patients and invoices in, send payment "
            "links, read payment status out. Amounts are integer minor units of the invoice's "
            "currency; dates are ISO 8601 (YYYY-MM-DD), times UTC. Every error is "
            '{"error": {"code", "message", "field"?}}; messages follow Accept-Language '
            "(en, it). Every call but this document needs a key of the practice."
        ),
    },
    "servers": [{"url": PREFIX}],
    "security": [{"bearerAuth": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "sk_saldo_…",
                "description": "An API key of the practice (flask apikey create).",
            }
        },
        "schemas": SCHEMAS,
        "responses": {
            f"E{status}": {
                "description": text,
                "content": {"application/json": {"schema": ref("Error")}},
            }
            for status, text in ERRORS.items()
        },
    },
}


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(DOCUMENT)
