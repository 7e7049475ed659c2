"""Before and after signing a plan: choosing how the installments are paid (so that the
agreement states it), and withdrawing consent to electronic records (paper from then on)."""

from flask import g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from portal.extensions import db
from portal.i18n import method_name
from portal.models.consent_record import ConsentSource
from portal.patient import bp
from portal.patient import session as patient_session
from portal.patient.forms import ConfirmForm, MethodChoiceForm
from portal.services.collections import preferences
from portal.services.payments import saved_methods
from portal.services.plans import agreements, plans
from portal.units import commit_or_refuse

#: what the patient reads on the page when withdrawing or asking for attachments (recorded)
WITHDRAWAL = _l(
    "You agreed to receive the records of your payment plan electronically. You may withdraw "
    "that consent, free of charge: from then on the practice sends them on paper. Your plan "
    "and the signature already given stay as they are."
)
ATTACHMENTS = _l(
    "Receipts and agreements list your treatments, so emails only carry the link and you "
    "download them here after confirming your date of birth. You may ask to receive them as "
    "email attachments instead."
)


def _pending_or_redirect():
    plan = plans.pending_plan(g.invoice)
    if plan is None:
        return None, redirect(url_for("patient.plan_options"))
    return plan, None


@bp.route("/pay/plan/method", methods=["GET", "POST"])
@patient_session.link_required()
def plan_method():
    """Choose card or SEPA before signing, so that the agreement states the method."""
    plan, away = _pending_or_redirect()
    if away:
        return away
    form = MethodChoiceForm()
    offered = agreements.offered_methods(saved_methods.methods_for(g.invoice))
    form.method.choices = [SelectChoice(m, method_name(m)) for m in offered]
    if form.validate_on_submit():
        agreements.choose_method(plan, form.method.data, patient_session.actor(request.remote_addr))
        db.session.commit()
        return redirect(url_for("patient.plan_sign"))
    if request.method == "GET":
        form.method.data = plan.method or offered[0]
    return render_template(
        "patient/plan_method.html", form=form, plan=plan, invoice=g.invoice, methods=offered
    ), 422 if request.method == "POST" else 200


@bp.route("/pay/paper-records", methods=["GET", "POST"])
@patient_session.link_required()
def paper_records():
    """Withdraw consent to electronic records: the practice then sends them on paper."""
    form = ConfirmForm()
    patient = g.invoice.patient
    if form.validate_on_submit():
        preferences.set_paper_records(
            patient,
            True,
            ConsentSource.PATIENT_PAGE,
            patient_session.actor(request.remote_addr),
            str(WITHDRAWAL),
        )
        db.session.commit()
    return render_template(
        "patient/paper_records.html", form=form, invoice=g.invoice, patient=patient
    )


@bp.post("/pay/attachments")
@patient_session.link_required()
def email_attachments():
    """The patient asks for (or stops) receipts and agreements as email attachments."""
    form = ConfirmForm()
    patient = g.invoice.patient
    wanted = request.form.get("wanted") == "1"
    if form.validate_on_submit():
        saved = commit_or_refuse(
            lambda: preferences.set_email_attachments(
                patient,
                wanted,
                ConsentSource.PATIENT_PAGE,
                patient_session.actor(request.remote_addr),
                str(ATTACHMENTS) if wanted else None,
            ),
            preferences.InvalidPreference,
        )
        if not saved:
            return render_template(
                "patient/paper_records.html",
                form=form,
                invoice=g.invoice,
                patient=patient,
                error=saved.message,
            ), 422
    return redirect(url_for("patient.paper_records"))
