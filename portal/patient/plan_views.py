"""Installment plans on the patient's side: choose, consent, sign, pay the down payment,
then follow the plan: pay ahead, pay off, change the card."""

from flask import (
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from portal.clock import practice_today
from portal.downloads import content_disposition
from portal.extensions import db
from portal.gateways.pdf import html_to_pdf
from portal.i18n import current_locale
from portal.models import Plan
from portal.patient import bp
from portal.patient import session as patient_session
from portal.patient.forms import ConsentForm, PlanChoiceForm, SignForm
from portal.patient.payment_views import _next_step, _refused, expected_amount
from portal.services.billing import invoices, ledger
from portal.services.collections import preferences
from portal.services.core.refusals import PaymentReason
from portal.services.messaging import plans as plan_messages
from portal.services.payments import charging, payment_methods, payments, saved_methods
from portal.services.payments.payments import PaymentRefused
from portal.services.payments.stripe_accounts import checkout_keys
from portal.services.plans import agreements, plans
from portal.services.plans.agreements import SigningRefused
from portal.services.plans.plans import PlanRefused
from portal.units import commit_or_refuse


def _pending_or_redirect():
    plan = plans.pending_plan(g.invoice)
    if plan is None:
        return None, redirect(url_for("patient.plan_options"))
    return plan, None


@bp.route("/pay/plan", methods=["GET", "POST"])
@patient_session.link_required()
def plan_options():
    if plans.active_plan(g.invoice) is not None:
        return redirect(url_for("patient.invoice"))
    balance = ledger.balance(g.invoice.id)
    forgone = plans.forgone_discount(g.invoice, practice_today(g.practice))
    offered = plans.options(
        plans.policy_for(g.invoice.practice_id), balance, practice_today(g.practice), forgone
    )
    form = PlanChoiceForm()
    form.count.choices = [(str(o.count), str(o.count)) for o in offered]
    error = None
    if form.validate_on_submit():
        chosen = commit_or_refuse(
            lambda: plans.choose(
                g.invoice,
                int(form.count.data),
                practice_today(g.practice),
                current_locale(),
                patient_session.actor(request.remote_addr),
            ),
            PlanRefused,
        )
        if chosen:
            return redirect(url_for("patient.plan_consent"))
        error = chosen.message
    elif request.method == "POST":
        error = _("Choose one of the plans.")
    status = 422 if error else 200
    return render_template(
        "patient/plan_options.html",
        options=offered,
        form=form,
        invoice=g.invoice,
        balance=balance,
        error=error,
    ), status


@bp.route("/pay/plan/consent", methods=["GET", "POST"])
@patient_session.link_required()
def plan_consent():
    plan, away = _pending_or_redirect()
    if away:
        return away
    form = ConsentForm()
    if form.validate_on_submit():
        preferences.consent_on_plan(plan, patient_session.actor(request.remote_addr))
        db.session.commit()
        return redirect(url_for("patient.plan_sign"))
    return render_template(
        "patient/plan_consent.html",
        form=form,
        plan=plan,
        invoice=g.invoice,
        consent=agreements.consent_html(plan),
    ), 422 if request.method == "POST" else 200


@bp.get("/pay/plan/sample.pdf")
@patient_session.link_required()
def plan_sample_pdf():
    """The ESIGN access demonstration: opening it is recorded on the pending plan."""
    plan = plans.pending_plan(g.invoice)
    if plan is not None:
        agreements.record_event(plan, "sample_opened", patient_session.actor(request.remote_addr))
        db.session.commit()
    html = render_template("agreements/sample.html")
    return Response(html_to_pdf(html, current_app.static_folder), mimetype="application/pdf")


@bp.route("/pay/plan/sign", methods=["GET", "POST"])
@patient_session.link_required()
def plan_sign():
    plan, away = _pending_or_redirect()
    if away:
        return away
    if "consented_at" not in (plan.evidence or {}):
        return redirect(url_for("patient.plan_consent"))
    if plan.signed_at is not None:
        return redirect(url_for("patient.plan_pay"))
    if plans.discard_if_stale(
        plan, practice_today(g.practice), patient_session.actor(request.remote_addr)
    ):
        db.session.commit()
        return redirect(url_for("patient.plan_options"))
    offered = saved_methods.methods_for(g.invoice)
    if plan.method not in offered:
        if len(offered) > 1:
            return redirect(url_for("patient.plan_method"))
        agreements.choose_method(plan, offered[0], patient_session.actor(request.remote_addr))
    document = agreements.show(plan)
    form = SignForm()
    error = None
    if request.method == "GET" and "viewed_at" not in (plan.evidence or {}):
        agreements.record_event(plan, "viewed", patient_session.actor(request.remote_addr))
    db.session.commit()
    if form.validate_on_submit():
        signed = commit_or_refuse(
            lambda: agreements.sign(
                plan,
                typed_name=form.full_name.data,
                signature_png=agreements.decode_signature(form.drawn.data),
                shown_sha256=form.document_sha256.data,
                actor=patient_session.actor(request.remote_addr),
                user_agent=request.headers.get("User-Agent", ""),
                time_zone=form.time_zone.data or "",
                today=practice_today(g.practice),
                onerous_approved=bool(form.onerous_approved.data),
                onerous_name=form.onerous_name.data,
            ),
            SigningRefused,
        )
        if signed:
            return redirect(url_for("patient.plan_pay"))
        error = signed.message
    if request.method == "GET":
        form.document_sha256.data = plan.document_sha256
    return render_template(
        "patient/plan_sign.html",
        form=form,
        plan=plan,
        document=document,
        error=error,
        invoice=g.invoice,
        specific_approval=agreements.needs_specific_approval(plan),
        can_change_method=len(offered) > 1,
    ), 422 if request.method == "POST" else 200


@bp.get("/pay/plan/pay")
@patient_session.link_required()
def plan_pay():
    plan, away = _pending_or_redirect()
    if away:
        return away
    if plan.signed_at is None:
        return redirect(url_for("patient.plan_sign"))
    return render_template(
        "patient/checkout.html",
        invoice=g.invoice,
        practice=g.practice,
        patient=g.invoice.patient,
        summary=invoices.summarize(g.invoice),
        methods=[plan.method],
        pending=payments.in_flight(g.invoice),
        **checkout_keys(g.practice),
        heading=_("Save your payment method and pay the down payment")
        if plan.down_payment_minor
        else _("Save your payment method"),
        amount_minor=plan.down_payment_minor,
        confirm_url=url_for("patient.plan_confirm"),
        button_label=None if plan.down_payment_minor else _("Save and start the plan"),
        intro=_(
            "The card or account you save now is charged automatically on each installment date."
        ),
    )


@bp.post("/pay/plan/confirm")
@patient_session.link_required()
def plan_confirm():
    plan = plans.pending_plan(g.invoice)
    body = request.get_json(silent=True) or {}
    if plan is None or plan.signed_at is None:
        return _refused(PaymentRefused(PaymentReason.NOTHING_DUE))
    try:
        saved = saved_methods.saved_method(g.invoice, str(body.get("setup_intent_id", "")))
        if saved.method != plan.method:  # the agreement signed names the other method
            raise PaymentRefused(PaymentReason.METHOD)
        plan.method, plan.stripe_payment_method_id = saved.method, saved.payment_method_id
        payment_methods.remember(plan, saved.payment_method_id)
        db.session.commit()
        if plans.down_payment(plan) is None:  # nothing down: the plan starts now
            plans.activate_without_down_payment(plan, patient_session.actor(request.remote_addr))
            plan_messages.agreement_signed(plan)
            db.session.commit()
            return jsonify(status="saved", next=url_for("patient.invoice"))
        outcome = payments.charge(
            g.invoice,
            saved,
            patient_session.actor(request.remote_addr),
            amount_minor=plan.down_payment_minor,
            installment=charging.Seen.of(plan.installments[0]),
            expected_minor=expected_amount(body),
        )
    except PaymentRefused as exc:
        return _refused(exc)
    return jsonify(_with_secret(outcome))


def _with_secret(outcome) -> dict:
    body = _next_step(outcome.payment)
    if outcome.client_secret:
        body["client_secret"] = outcome.client_secret
        body["refresh"] = url_for("patient.refresh_payment", payment_id=outcome.payment.id)
    return body


@bp.get("/pay/plan/agreement.pdf")
@patient_session.link_required()
def plan_agreement_pdf():
    query = db.select(Plan).where(Plan.invoice_id == g.invoice.id, Plan.agreement_pdf.is_not(None))
    plan = db.session.scalar(query.order_by(Plan.id.desc())) or abort(404)
    return Response(
        plan.agreement_pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": content_disposition(agreements.filename(plan))},
    )
