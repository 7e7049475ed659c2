"""Fiscal pages for staff: the owner's fiscal settings, documents issued, issuing one, the
Sistema TS export, patients' codici fiscali, and the US itemized statement."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.downloads import content_disposition
from portal.extensions import db
from portal.models import FiscalDocument, Invoice, Patient, Payment, Refund
from portal.services.core import audit
from portal.services.fiscal import documents, profile, render, statement, sts, tax_ids
from portal.services.fiscal.profile import FiscalRefused
from portal.staff import bp
from portal.staff.access import OWNER, READ, WRITE, actor, role_required, scoped
from portal.staff.fiscal_forms import (
    CodiceFiscaleForm,
    FiscalProfileForm,
    MonthForm,
    TaxIdImportForm,
)
from portal.staff.forms import ActionForm
from portal.units import commit_or_flash, commit_or_refuse

PROFILE_FIELDS = [
    "issuer",
    "legal_name",
    "fiscal_address",
    "partita_iva",
    "codice_fiscale",
    "regime",
    "albo",
    "stamp_charged_to_patient",
    "stamp_authorization",
    "ein",
    "npi",
]


@bp.route("/settings/fiscal", methods=["GET", "POST"])
@role_required(*OWNER)
def fiscal_settings():
    practice = current_user.practice
    current = profile.profile_of(practice)
    form = FiscalProfileForm(obj=current)
    if form.validate_on_submit():
        data = profile.ProfileInput(**{name: getattr(form, name).data for name in PROFILE_FIELDS})

        def save():
            profile.save(practice, data)
            audit.record(
                "practice.fiscal_updated",
                practice_id=practice.id,
                actor=actor(request.remote_addr),
                issuer=data.issuer,
            )

        saved = commit_or_refuse(save, FiscalRefused)
        if saved:
            flash(_("Fiscal settings saved."), "info")
            return redirect(url_for("staff.fiscal_settings"))
        form.form_errors.append(saved.message)
    return render_template("fiscal/staff_settings.html", form=form, practice=practice), (
        422 if form.errors or form.form_errors else 200
    )


@bp.get("/fiscal")
@role_required(*READ)
def fiscal_documents():
    practice = current_user.practice
    month = MonthForm(request.args)
    recent = db.session.scalars(
        db.select(FiscalDocument)
        .filter_by(practice_id=practice.id)
        .order_by(FiscalDocument.id.desc())
        .limit(100)
    ).all()
    return render_template(
        "fiscal/staff_documents.html",
        documents=recent,
        month=month,
        italy=profile.saldo_issues(practice),
        upload=TaxIdImportForm(),
    )


@bp.get("/fiscal/sts.xml")
@role_required(*WRITE)
def fiscal_sts_export():
    practice = current_user.practice
    form = MonthForm(request.args)
    if not form.validate():
        abort(400)
    try:
        xml = sts.build(practice, form.month.data)
    except (FiscalRefused, sts.InvalidExport) as exc:
        flash(str(exc), "error")
        return redirect(url_for("staff.fiscal_documents", month=form.month.data))
    audit.record(
        "fiscal.sts_exported",
        practice_id=practice.id,
        actor=actor(request.remote_addr),
        month=form.month.data,
    )
    db.session.commit()
    disposition = content_disposition(sts.filename(practice, form.month.data), "attachment")
    return Response(xml, mimetype="application/xml", headers={"Content-Disposition": disposition})


@bp.get("/fiscal/documents/<int:document_id>.pdf")
@role_required(*READ)
def fiscal_document_pdf(document_id: int):
    document = scoped(FiscalDocument, document_id)
    locale = "en" if request.args.get("lang") == "en" else "it"
    headers = {
        "Content-Disposition": content_disposition(render.document_filename(document, locale))
    }
    return Response(
        render.document_pdf(document, locale), mimetype="application/pdf", headers=headers
    )


def _issue(make, invoice_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    issued = commit_or_flash(lambda: make(actor(request.remote_addr)), FiscalRefused)
    if issued:
        flash(_("Document %(number)s issued.", number=issued.value.label), "info")
    return redirect(url_for("staff.invoice_detail", invoice_id=invoice_id))


@bp.post("/fiscal/payments/<int:payment_id>/issue")
@role_required(*WRITE)
def fiscal_issue_invoice(payment_id: int):
    payment = db.session.get(Payment, payment_id) or abort(404)
    invoice = scoped(Invoice, payment.invoice_id)
    return _issue(lambda who: documents.issue_invoice(payment, who), invoice.id)


@bp.post("/fiscal/refunds/<int:refund_id>/issue")
@role_required(*WRITE)
def fiscal_issue_credit_note(refund_id: int):
    refund = db.session.get(Refund, refund_id) or abort(404)
    invoice = scoped(Invoice, refund.payment.invoice_id)
    return _issue(lambda who: documents.issue_credit_note(refund, who), invoice.id)


@bp.post("/patients/<int:patient_id>/codice-fiscale")
@role_required(*WRITE)
def fiscal_patient_codice(patient_id: int):
    patient = scoped(Patient, patient_id)
    form = CodiceFiscaleForm()
    back = request.form.get("invoice_id", "")
    target = (
        url_for("staff.invoice_detail", invoice_id=int(back))
        if back.isdigit()
        else url_for("staff.patient_detail", patient_id=patient.id)
    )
    if not form.validate_on_submit():
        flash(_("Enter the codice fiscale."), "error")
        return redirect(target)
    saved = commit_or_flash(
        lambda: tax_ids.set_codice_fiscale(
            patient, form.codice_fiscale.data, "staff", actor(request.remote_addr)
        ),
        FiscalRefused,
    )
    if saved:
        flash(_("Codice fiscale saved."), "info")
    return redirect(target)


@bp.post("/fiscal/codici-fiscali")
@role_required(*WRITE)
def fiscal_tax_id_import():
    form = TaxIdImportForm()
    upload = request.files.get("file")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        flash(_("Choose a CSV file."), "error")
        return redirect(url_for("staff.fiscal_documents"))
    saved = commit_or_flash(
        lambda: tax_ids.import_csv(
            current_user.practice, upload.read(), actor(request.remote_addr)
        ),
        FiscalRefused,
    )
    if saved:
        flash(_("%(n)s codici fiscali saved.", n=saved.value), "info")
    return redirect(url_for("staff.fiscal_documents"))


@bp.get("/invoices/<int:invoice_id>/statement.pdf")
@role_required(*READ)
def fiscal_statement_pdf(invoice_id: int):
    invoice = scoped(Invoice, invoice_id)
    try:
        pdf = render.statement_pdf(invoice, locale := current_user.locale or "en")
    except FiscalRefused:
        abort(404)
    headers = {"Content-Disposition": content_disposition(statement.filename(invoice, locale))}
    return Response(pdf, mimetype="application/pdf", headers=headers)
