"""Invoices: create, read, list, issue a draft, payments; amounts and the ledger."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Invoice, LedgerEntry, PlanPolicy
from portal.services.billing import money
from portal.services.core.audit import SYSTEM
from portal.services.plans import plans
from tests.api.conftest import invoice_body, new_invoice, new_patient, snapshot


def test_create_invoice_posts_the_patient_share(api):
    patient_id = new_patient(api)
    response = api.post("/invoices", invoice_body(patient_id))
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "open"
    assert (body["currency"], body["number"], body["patient_id"]) == (
        "EUR",
        "2026-0042",
        patient_id,
    )
    assert (body["issued_on"], body["due_on"]) == ("2026-11-01", "2026-12-01")
    assert body["charged_minor"] == body["patient_share_minor"] == 15450
    assert body["balance_minor"] == 15450
    assert (body["paid_minor"], body["credits_minor"]) == (0, 0)
    assert body["payments"] == [] and body["plans"] == []
    assert body["lines"] == [
        {
            "position": 1,
            "service_date": "2026-10-25",
            "procedure_code": "D2391",
            "description": "Composite filling",
            "charged_minor": 12000,
            "insurance_paid_minor": 0,
            "adjustment_minor": 0,
            "patient_share_minor": 12000,
        },
        {
            "position": 2,
            "service_date": "2026-10-25",
            "procedure_code": None,
            "description": "Bitewing X-rays",
            "charged_minor": 3450,
            "insurance_paid_minor": 0,
            "adjustment_minor": 0,
            "patient_share_minor": 3450,
        },
    ]
    with api.app.app_context():
        entries = db.session.scalars(db.select(LedgerEntry)).all()
        assert [(e.kind, e.amount_minor, e.currency) for e in entries] == [("charge", 15450, "EUR")]
        actions = db.session.scalars(db.select(AuditEvent.action).filter_by(invoice_id=body["id"]))
        assert list(actions) == ["invoice.created", "invoice.issued"]
    assert api.get(f"/invoices/{body['id']}").get_json() == body


def test_insurance_and_adjustments(api):
    line = {
        "service_date": "2026-10-25",
        "description": "Crown",
        "charged_minor": 95000,
        "insurance_paid_minor": 50000,
        "adjustment_minor": 7550,
    }
    body = new_invoice(api, lines=[line], currency="EUR")
    assert body["lines"][0]["patient_share_minor"] == 37450
    assert (body["insurance_paid_minor"], body["adjustment_minor"]) == (50000, 7550)
    assert body["balance_minor"] == 37450


def test_draft_then_issue(api):
    draft = new_invoice(api, draft=True)
    assert (draft["status"], draft["balance_minor"], draft["patient_share_minor"]) == (
        "draft",
        0,
        15450,
    )
    issued = api.post(f"/invoices/{draft['id']}/issue")
    assert issued.status_code == 200
    assert (issued.get_json()["status"], issued.get_json()["balance_minor"]) == ("open", 15450)

    again = api.post(f"/invoices/{draft['id']}/issue", headers={"Accept-Language": "it"})
    assert again.status_code == 409
    assert again.get_json()["error"] == {
        "code": "invalid_state",
        "message": "Questa fattura è già stata emessa.",
    }
    with api.app.app_context():
        charges = db.session.scalars(db.select(LedgerEntry.amount_minor)).all()
        assert charges == [15450]


def test_payments_on_the_invoice(api):
    invoice = new_invoice(api, patient_id=new_patient(api, email=None))
    with api.app.app_context():
        record = db.session.get(Invoice, invoice["id"])
        payment = money.record_desk_payment(record, 5000, "cash", SYSTEM)
        payment_id = payment.id
    body = api.get(f"/invoices/{invoice['id']}").get_json()
    assert (body["balance_minor"], body["paid_minor"], body["status"]) == (10450, 5000, "open")
    expected = {
        "id": payment_id,
        "status": "succeeded",
        "amount_minor": 5000,
        "currency": "EUR",
        "method": "cash",
        "method_label": None,
        "receipt_number": f"2026-0042-{payment_id}",
        "refunded_minor": 0,
        "failure_code": None,
        "created_at": body["payments"][0]["created_at"],
        "succeeded_at": body["payments"][0]["succeeded_at"],
    }
    assert body["payments"] == [expected]
    payments = api.get(f"/invoices/{invoice['id']}/payments")
    assert payments.status_code == 200
    assert payments.get_json() == {"data": [expected]}


def test_list_filters_and_pages(api, other_api):
    first, second = new_patient(api), new_patient(api, first_name="Marco")
    a = new_invoice(api, first, number="A-1")
    b = new_invoice(api, second, number="A-2", draft=True)
    c = new_invoice(api, second, number="A-3")
    new_invoice(other_api, number="B-1")

    def ids(query):
        response = api.get(f"/invoices{query}")
        assert response.status_code == 200, response.get_json()
        return [row["id"] for row in response.get_json()["data"]], response.get_json()["total"]

    assert ids("") == ([a["id"], b["id"], c["id"]], 3)
    assert ids("?status=open") == ([a["id"], c["id"]], 2)
    assert ids(f"?patient_id={second}") == ([b["id"], c["id"]], 2)
    assert ids(f"?patient_id={second}&status=draft") == ([b["id"]], 1)
    assert ids("?limit=2") == ([a["id"], b["id"]], 3)
    assert ids("?limit=2&offset=2") == ([c["id"]], 3)
    page = api.get("/invoices?limit=1").get_json()
    assert (page["limit"], page["offset"]) == (1, 0)
    assert page["data"][0]["balance_minor"] == 15450 and "lines" not in page["data"][0]


@pytest.mark.parametrize(
    ("query", "field"),
    [("?limit=101", "limit"), ("?limit=0", "limit"), ("?offset=-1", "offset"),
     ("?status=late", "status"), ("?patient_id=abc", "patient_id"), ("?limit=1.5", "limit"),
     ("?status=", "status"), ("?limit=", "limit"), ("?statsu=open", "statsu")],
)  # fmt: skip
def test_bad_list_query(api, query, field):
    response = api.get(f"/invoices{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


LINE = {"service_date": "2026-10-25", "description": "Cleaning", "charged_minor": 8000}
BAD = [
    ({"lines": [{**LINE, "charged_minor": -100}]}, "lines[0].charged_minor", "cannot be negative"),
    ({"lines": [{**LINE, "charged_minor": 80.5}]}, "lines[0].charged_minor", "whole number"),
    ({"lines": [{**LINE, "charged_minor": "8000"}]}, "lines[0].charged_minor", "whole number"),
    ({"lines": [{**LINE, "charged_minor": True}]}, "lines[0].charged_minor", "whole number"),
    ({"lines": [LINE, {**LINE, "adjustment_minor": -1}]}, "lines[1].adjustment_minor", "negative"),
    ({"lines": [{**LINE, "charged_minor": None}]}, "lines[0].charged_minor", "is required"),
    ({"lines": [{**LINE, "service_date": "2026-13-01"}]}, "lines[0].service_date", "YYYY-MM-DD"),
    ({"lines": [{**LINE, "description": ""}]}, "lines[0].description", "cannot be empty"),
    ({"lines": [LINE, "x"]}, "lines[1]", "must be an object"),
    ({"lines": []}, "lines", "at least one"),
    ({"lines": {"0": LINE}}, "lines", "must be a list"),
    ({"lines": [{**LINE, "charged_minor": 10**12}]}, "lines[0].charged_minor", "at most"),
    ({"issued_on": "1 Nov 2026"}, "issued_on", "YYYY-MM-DD"),
    ({"due_on": None}, "due_on", "is required"),
    ({"patient_id": "7"}, "patient_id", "positive integer"),
    ({"number": 42}, "number", "must be a string"),
    ({"draft": "no"}, "draft", "true or false"),
    ({"currency": "USD"}, "currency", "bills in EUR"),
    ({"due_on": "2026-10-01"}, None, "The due date is before the issue date."),
    ({"lines": [{**LINE, "insurance_paid_minor": 9000}]}, None, "Insurance and adjustments"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field", "message"), BAD)
def test_bad_invoice_is_refused_and_changes_nothing(api, change, field, message):
    patient_id = new_patient(api)
    before = snapshot(api.app)
    response = api.post("/invoices", {**invoice_body(patient_id), **change})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert message in error["message"]
    assert error.get("field") == field
    assert snapshot(api.app) == before


def test_duplicate_number_and_unknown_patient(api):
    invoice = new_invoice(api)
    before = snapshot(api.app)
    duplicate = api.post("/invoices", invoice_body(invoice["patient_id"]))
    assert duplicate.status_code == 409
    assert duplicate.get_json()["error"] == {
        "code": "duplicate_number",
        "message": "Invoice number 2026-0042 is already used.",
        "field": "number",
    }
    unknown = api.post("/invoices", invoice_body(987654, number="X-1"))
    assert unknown.status_code == 404
    assert unknown.get_json()["error"]["code"] == "not_found"
    assert snapshot(api.app) == before


def test_invoice_shows_its_installment_plan(api):
    invoice_id = new_invoice(api)["id"]
    with api.app.app_context():
        db.session.add(
            PlanPolicy(practice_id=api.practice_id, min_balance_minor=0, min_installment_minor=100)
        )
        plans.choose(db.session.get(Invoice, invoice_id), 3, date(2026, 1, 31), "it", SYSTEM)
        db.session.commit()
    [plan] = api.get(f"/invoices/{invoice_id}").get_json()["plans"]
    assert (plan["status"], plan["installment_count"], plan["down_payment_minor"]) == (
        "pending_signature",
        3,
        1545,
    )
    assert [(i["sequence"], i["due_on"], i["amount_minor"]) for i in plan["installments"]] == [
        (0, "2026-01-31", 1545),
        (1, "2026-02-28", 4635),
        (2, "2026-03-31", 4635),
        (3, "2026-04-30", 4635),
    ]
