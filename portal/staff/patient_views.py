"""Patients: list with search, create, view, edit."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.models import Patient
from portal.models.consent_record import ConsentSource
from portal.services.billing import patients, staff_patient_page
from portal.services.billing.patients import InvalidPatient, PatientInput
from portal.services.collections import preferences
from portal.services.collections.preferences import InvalidPreference
from portal.staff import bp
from portal.staff.access import READ, WRITE, actor, role_required, scoped
from portal.staff.fiscal_forms import CodiceFiscaleForm
from portal.staff.forms import DocumentPreferencesForm, PatientForm
from portal.units import commit_or_refuse


def _input(form: PatientForm) -> PatientInput:
    return PatientInput(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        date_of_birth=form.date_of_birth.data,
        email=form.email.data,
        phone=form.phone.data,
        locale=form.locale.data,
        email_consent=form.email_consent.data,
        sms_consent=form.sms_consent.data,
    )


@bp.get("/patients")
@role_required(*READ)
def patient_list():
    text = request.args.get("q", "")
    found = patients.search(current_user.practice_id, text)
    return render_template("staff/patients.html", patients=found, q=text)


@bp.route("/patients/new", methods=["GET", "POST"])
@role_required(*WRITE)
def patient_new():
    form = PatientForm()
    if request.method == "GET":
        form.locale.data = current_user.practice.default_locale
    if form.validate_on_submit():
        created = commit_or_refuse(
            lambda: patients.create_patient(
                current_user.practice, _input(form), actor(request.remote_addr)
            ),
            InvalidPatient,
        )
        if created:
            flash(_("Patient saved."), "info")
            return redirect(url_for("staff.invoice_new", patient_id=created.value.id))
        form.form_errors.append(created.message)
    return render_template("staff/patient_form.html", form=form, patient=None)


def _detail_page(patient: Patient, form: DocumentPreferencesForm, status: int = 200):
    page = staff_patient_page.build(patient)
    html = render_template(
        "staff/patient.html",
        page=page,
        patient=page.patient,
        documents_form=form,
        cf_form=CodiceFiscaleForm(),
    )
    return html, status


@bp.get("/patients/<int:patient_id>")
@role_required(*READ)
def patient_detail(patient_id: int):
    patient = scoped(Patient, patient_id)
    return _detail_page(patient, DocumentPreferencesForm(obj=patient))


@bp.post("/patients/<int:patient_id>/documents")
@role_required(*WRITE)
def patient_documents(patient_id: int):
    """Email attachments and paper records, each change with its consent record."""
    patient = scoped(Patient, patient_id)
    form = DocumentPreferencesForm()
    if not form.validate_on_submit():
        return _detail_page(patient, form, 422)
    saved = commit_or_refuse(
        lambda: preferences.update(
            patient,
            ConsentSource.STAFF,
            actor(request.remote_addr),
            email_attachments=form.email_attachments.data,
            paper_records=form.paper_records.data,
        ),
        InvalidPreference,
    )
    if not saved:
        form.form_errors.append(saved.message)
        return _detail_page(patient, form, 422)
    flash(_("Document preferences saved."), "info")
    return redirect(url_for("staff.patient_detail", patient_id=patient.id))


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
@role_required(*WRITE)
def patient_edit(patient_id: int):
    patient = scoped(Patient, patient_id)
    form = PatientForm(obj=patient)
    if form.validate_on_submit():
        saved = commit_or_refuse(
            lambda: patients.update_patient(patient, _input(form), actor(request.remote_addr)),
            InvalidPatient,
        )
        if saved:
            flash(_("Patient saved."), "info")
            return redirect(url_for("staff.patient_detail", patient_id=patient.id))
        form.form_errors.append(saved.message)
    return render_template("staff/patient_form.html", form=form, patient=patient)
