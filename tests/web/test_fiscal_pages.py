"""Fiscal pages: the patient gives a codice fiscale and opposes the Sistema TS after the
identity check, and downloads documents; staff set the fiscal profile (owner only), issue,
import codici fiscali, download the month's file and the US statement; the API and CLI."""

import html
import io
import re
from datetime import date, datetime

import pytest

from portal.extensions import db
from portal.models import (
    AuditEvent,
    FiscalProfile,
    Invoice,
    PatientTaxId,
    Payment,
    PaymentLink,
    Practice,
    TsOpposition,
)
from portal.services.access import links
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import documents, sts, tax_ids
from tests import factories
from tests import fiscal_factories as ff
from tests.api.conftest import make_api
from tests.web.patient_client import csrf_token, open_and_verify
from tests.web.staff_client import csrf, make_staff, sign_in


def _italian_bill(codice=None):
    """An Italian practice where Saldo issues invoices; an invoice with a live link."""
    practice = ff.italian_practice()
    patient = ff.patient_with_cf(practice, codice=codice)
    invoice = factories.invoice(patient, amounts=(12000,))
    _, token = links.issue(invoice, SYSTEM)
    db.session.commit()
    return practice, invoice, token


def test_patient_gives_the_codice_fiscale_and_opposes_after_verification(web_app, client):
    with web_app.app_context():
        _, invoice, token = _italian_bill()
        invoice_id = invoice.id
        patient_id = invoice.patient_id
    client.get(f"/p/{token}")
    # before the identity check nothing fiscal can be done
    refused = client.post(
        "/pay/fiscal/opposition", data={"csrf_token": csrf_token(client), "opposed": "1"}
    )
    assert refused.status_code == 302 and refused.location.endswith("/pay/verify")
    assert open_and_verify(client, token).status_code == 302
    page = client.get("/pay").get_data(as_text=True)
    assert "Il Suo codice fiscale" in page
    assert "Può opporsi alla trasmissione di questa spesa al Sistema Tessera Sanitaria" in page
    token_value = csrf_token(client, "/pay")
    bad = client.post(
        "/pay/fiscal/codice-fiscale",
        data={"csrf_token": token_value, "codice_fiscale": "BNCGLI84C49H501A"},
    )
    assert bad.status_code == 302
    assert "Questo codice fiscale non è valido" in client.get("/pay").get_data(as_text=True)
    good = client.post(
        "/pay/fiscal/codice-fiscale",
        data={"csrf_token": token_value, "codice_fiscale": "bncgli84c49h501f"},
    )
    assert good.status_code == 302
    page = client.get("/pay").get_data(as_text=True)
    assert "Grazie: il Suo codice fiscale è stato salvato." in page
    assert 'name="codice_fiscale"' not in page
    opposed = client.post(
        "/pay/fiscal/opposition", data={"csrf_token": token_value, "opposed": "1"}
    )
    assert opposed.status_code == 302
    page = client.get("/pay").get_data(as_text=True)
    assert "Ha presentato opposizione alla trasmissione di questa spesa" in page
    with web_app.app_context():
        record = db.session.scalar(db.select(PatientTaxId).filter_by(patient_id=patient_id))
        assert (record.codice_fiscale, record.source) == (ff.PATIENT_CF, "patient")
        [row] = db.session.scalars(db.select(TsOpposition).filter_by(invoice_id=invoice_id))
        link = links_of(invoice_id)
        assert (row.opposed, row.recorded_by, row.locale) == (True, f"patient:link:{link}", "it")
        assert row.text_shown.startswith(
            "Può opporsi alla trasmissione di questa spesa al Sistema Tessera Sanitaria "
            "(art. 3 del decreto 31 luglio 2015)."
        )
        assert row.ip_address == "127.0.0.1"


def links_of(invoice_id):
    return db.session.scalar(db.select(PaymentLink.id).filter_by(invoice_id=invoice_id))


def test_patient_downloads_the_invoice_and_an_english_copy(web_app, client):
    with web_app.app_context():
        _, invoice, token = _italian_bill(codice=ff.PATIENT_CF)
        other_practice = ff.italian_practice()
        stranger = factories.invoice(ff.patient_with_cf(other_practice), amounts=(5000,))
        theirs = documents.issue_invoice(ff.paid(stranger, 5000), SYSTEM).id
        payment = ff.paid(invoice, 5000, at=datetime(2027, 1, 10, 9))
        document = documents.issue_invoice(payment, SYSTEM, today=date(2027, 1, 10))
        document_id = document.id
    open_and_verify(client, token)
    page = client.get("/pay").get_data(as_text=True)
    assert "Fattura n. 1/2027 (PDF)" in page
    pdf = client.get(f"/pay/fiscal/documents/{document_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == 'inline; filename="fattura-2027-0001.pdf"'
    english = client.get(f"/pay/fiscal/documents/{document_id}.pdf?lang=en")
    assert english.headers["Content-Disposition"] == 'inline; filename="invoice-2027-0001-en.pdf"'
    assert client.get(f"/pay/fiscal/documents/{theirs}.pdf").status_code == 404


@pytest.fixture
def owner(web_app):
    with web_app.app_context():
        practice = factories.practice()
        email = make_staff(practice, "owner").email
        billing = make_staff(practice, "billing").email
    client = web_app.test_client()
    sign_in(client, email)
    return client, billing


def _settings(client, **fields):
    data = {"csrf_token": csrf(client, "/staff/settings/fiscal"), **fields}
    return client.post("/staff/settings/fiscal", data=data)


def test_owner_lets_saldo_issue_and_a_bad_partita_iva_changes_nothing(web_app, owner):
    client, billing = owner
    fields = dict(
        issuer="saldo",
        legal_name="Dott. Mario Rossi",
        fiscal_address="Via Appia Nuova 12\n00183 Roma RM",
        partita_iva="07654320585",
        codice_fiscale=ff.PRACTICE_CF,
        regime="RF01 ordinario",
        stamp_charged_to_patient="y",
    )
    bad = _settings(client, **fields)
    assert bad.status_code == 422
    assert "This partita IVA is not valid: check the 11 digits." in bad.get_data(as_text=True)
    with web_app.app_context():
        assert db.session.scalar(db.select(FiscalProfile)) is None
    good = _settings(client, **{**fields, "partita_iva": ff.PARTITA_IVA})
    assert good.status_code == 302
    with web_app.app_context():
        saved = db.session.scalar(db.select(FiscalProfile))
        assert (saved.issuer, saved.partita_iva, saved.stamp_charged_to_patient) == (
            "saldo",
            ff.PARTITA_IVA,
            True,
        )
        assert saved.issuing_since is not None
    other = web_app.test_client()
    sign_in(other, billing)
    assert other.get("/staff/settings/fiscal").status_code == 403


def test_staff_issue_import_and_download_the_month(web_app):
    with web_app.app_context():
        practice = ff.italian_practice()
        email = make_staff(practice, "billing").email
        patient = ff.patient_with_cf(practice, codice=None)
        invoice = factories.invoice(patient, amounts=(9000,))
        payment = ff.paid(invoice, 9000, at=datetime(2027, 1, 10, 9))
        invoice_id, payment_id, patient_id = invoice.id, payment.id, patient.id
    client = web_app.test_client()
    sign_in(client, email)
    page = client.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    assert "The patient's codice fiscale is missing" in page
    token = csrf(client)
    refused = client.post(f"/staff/fiscal/payments/{payment_id}/issue", data={"csrf_token": token})
    assert refused.status_code == 302
    page = client.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    assert "Enter the patient&#39;s codice fiscale first" in page
    csv = f"patient_id,codice_fiscale\n{patient_id},{ff.PATIENT_CF}\n".encode()
    imported = client.post(
        "/staff/fiscal/codici-fiscali",
        data={"csrf_token": token, "file": (io.BytesIO(csv), "cf.csv")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302
    assert "1 codici fiscali saved." in client.get("/staff/fiscal").get_data(as_text=True)
    issued = client.post(f"/staff/fiscal/payments/{payment_id}/issue", data={"csrf_token": token})
    assert issued.status_code == 302
    with web_app.app_context():
        document = documents.of_payment(db.session.get(Payment, payment_id))
        assert document.payment_id == payment_id
        month = document.issued_on.strftime("%Y-%m")
    assert "issued." in client.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    export = client.get(f"/staff/fiscal/sts.xml?month={month}")
    assert export.status_code == 200 and export.mimetype == "application/xml"
    assert export.headers["Content-Disposition"] == (
        f'attachment; filename="sistema-ts-{practice_slug(web_app, invoice_id)}-{month}.xml"'
    )
    assert export.data.count(b"<documentoSpesa>") == 1
    assert b"<cfCittadino>BNCGLI84C49H501F</cfCittadino>" in export.data
    assert client.get("/staff/fiscal/sts.xml?month=2027-1").status_code == 400


def test_an_export_failing_its_schema_is_flashed_not_sent(web_app, monkeypatch):
    with web_app.app_context():
        practice = ff.italian_practice()
        email = make_staff(practice, "billing").email
        payment = ff.paid(factories.invoice(ff.patient_with_cf(practice), (5000,)), 5000)
        documents.issue_invoice(payment, SYSTEM, today=date(2027, 1, 5))
        db.session.commit()
    monkeypatch.setattr(sts.xsd, "errors", lambda xml, schema: ["line 3: bad"])
    client = web_app.test_client()
    sign_in(client, email)
    export = client.get("/staff/fiscal/sts.xml?month=2027-01")
    assert (export.status_code, export.location) == (302, "/staff/fiscal?month=2027-01")
    page = html.unescape(client.get("/staff/fiscal").get_data(as_text=True))
    assert "failed its check against the schema, so it was not created: line 3: bad" in page
    with web_app.app_context():
        exported = db.select(AuditEvent).filter_by(action="fiscal.sts_exported")
        assert db.session.scalars(exported).all() == []


def practice_slug(web_app, invoice_id):
    with web_app.app_context():
        return db.session.get(Invoice, invoice_id).practice.slug


def test_us_statement_for_staff_and_the_verified_patient(web_app, client):
    with web_app.app_context():
        practice = ff.us_practice()
        email = make_staff(practice, "viewer").email
        patient = factories.patient(practice, locale="en")
        invoice = factories.invoice(patient, amounts=(12000,), number="US-1")
        _, token = links.issue(invoice, SYSTEM)
        db.session.commit()
        invoice_id = invoice.id
    client.get(f"/p/{token}")
    assert client.get("/pay/statement.pdf").status_code == 302
    open_and_verify(client, token)
    assert "Itemized statement (PDF)" in client.get("/pay").get_data(as_text=True)
    pdf = client.get("/pay/statement.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Disposition"] == 'inline; filename="statement-US-1.pdf"'
    staff = web_app.test_client()
    sign_in(staff, email)
    assert staff.get(f"/staff/invoices/{invoice_id}/statement.pdf").status_code == 200


def test_api_sets_the_codice_fiscale(web_app):
    api = make_api(web_app)
    with web_app.app_context():
        patient_id = factories.patient(db.session.get(Practice, api.practice_id)).id
        db.session.commit()
    path = f"/api/v1/patients/{patient_id}/codice-fiscale"
    bad = api.client.put(path, json={"codice_fiscale": "XXX"}, headers=api.headers())
    assert bad.status_code == 422
    assert bad.json["error"]["field"] == "codice_fiscale"
    good = api.client.put(path, json={"codice_fiscale": "bncgli84c49h501f"}, headers=api.headers())
    assert good.status_code == 200
    assert good.json == {"patient_id": patient_id, "codice_fiscale": ff.PATIENT_CF}
    assert api.get(f"/patients/{patient_id}/codice-fiscale").json["codice_fiscale"] == ff.PATIENT_CF
    with web_app.app_context():
        assert db.session.scalar(db.select(PatientTaxId.source)) == "api"


def test_cli_export_sts(app, tmp_path):
    practice = ff.italian_practice()
    payment = ff.paid(factories.invoice(ff.patient_with_cf(practice), (5000,)), 5000)
    documents.issue_invoice(payment, SYSTEM, today=date(2027, 1, 5))
    out = tmp_path / "jan.xml"
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "fiscal",
            "export-sts",
            "--practice",
            practice.slug,
            "--month",
            "2027-01",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"{out}: 1 documents for {practice.slug} in 2027-01\n"
    assert out.read_bytes().count(b"<documentoSpesa>") == 1
    empty = runner.invoke(
        args=["fiscal", "export-sts", "--practice", practice.slug, "--month", "2027-02"]
    )
    assert empty.exit_code == 1
    assert "No health invoice or credit note was issued in 2027-02." in empty.output
    assert re.search(
        r"no practice",
        runner.invoke(
            args=["fiscal", "export-sts", "--practice", "nope", "--month", "2027-01"]
        ).output,
    )
    assert tax_ids.codice_fiscale_of(payment.invoice.patient) == ff.PATIENT_CF


def test_staff_set_and_correct_the_codice_fiscale_on_the_patient_page(web_app):
    with web_app.app_context():
        practice = ff.italian_practice()
        email = make_staff(practice, "billing").email
        patient_id = ff.patient_with_cf(practice).id
    client = web_app.test_client()
    sign_in(client, email)
    page = f"/staff/patients/{patient_id}"
    assert ff.PATIENT_CF in client.get(page).get_data(as_text=True)
    path = f"/staff/patients/{patient_id}/codice-fiscale"
    bad = client.post(path, data={"csrf_token": csrf(client), "codice_fiscale": "VRDLCU90A01F205X"})
    assert bad.status_code == 302 and bad.location.endswith(page)
    assert "This codice fiscale is not valid" in client.get(page).get_data(as_text=True)
    client.post(path, data={"csrf_token": csrf(client), "codice_fiscale": ff.OTHER_PATIENT_CF})
    assert "Codice fiscale saved." in client.get(page).get_data(as_text=True)
    with web_app.app_context():
        record = db.session.scalar(db.select(PatientTaxId).filter_by(patient_id=patient_id))
        assert (record.codice_fiscale, record.source) == (ff.OTHER_PATIENT_CF, "staff")


def test_jobs_run_due_issues_and_reports_the_fiscal_documents(app):
    practice = ff.italian_practice()
    ff.paid(factories.invoice(ff.patient_with_cf(practice), (5000,)), 5000)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run-due", "--as-of", "2027-01-31"])
    assert result.exit_code == 0, result.output
    # (the pending work done is the desk payment's receipt email)
    assert (
        "; 1 fiscal documents issued, 0 Sistema TS reminders; 1 pending work done\n"
        in result.output
    )
    again = runner.invoke(args=["jobs", "run-due", "--as-of", "2027-01-31"])
    assert (
        "; 0 fiscal documents issued, 0 Sistema TS reminders; 0 pending work done\n" in again.output
    )
