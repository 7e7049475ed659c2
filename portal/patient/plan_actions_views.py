"""A running plan on the patient's side: pay the next installment or the rest now (after a
confirmation naming the amount and the card), and change the card or account."""

from flask import abort, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.i18n import method_name
from portal.models import Installment, Plan
from portal.models.plan import InstallmentStatus
from portal.patient import bp
from portal.patient import session as patient_session
from portal.patient.payment_views import _refused, expected_amount
from portal.patient.plan_views import _with_secret
from portal.services.billing import invoices, ledger
from portal.services.core.refusals import PaymentReason
from portal.services.payments import charging, payment_methods, payments, saved_methods
from portal.services.payments.payments import PaymentRefused, SavedMethod
from portal.services.payments.stripe_accounts import checkout_keys
from portal.services.plans import agreements, plans

PAY_NOW = ("next", "rest")


def _upcoming(plan: Plan) -> Installment | None:
    return next(
        (
            i
            for i in plan.installments
            if i.status in (InstallmentStatus.SCHEDULED, InstallmentStatus.FAILED)
        ),
        None,
    )


def _pay_now_amount(plan: Plan, what: str) -> tuple[int, Installment | None]:
    """What "pay now" charges, computed here: the next installment (never more than the
    balance) or the whole balance."""
    balance = ledger.balance(g.invoice.id)
    upcoming = _upcoming(plan)
    if what == "next" and upcoming is not None:
        return min(upcoming.amount_minor, balance), upcoming
    return balance, None


def method_label(plan: Plan) -> str:
    """The plan's card or account as the patient knows it, or the kind of method."""
    return plan.method_label or (method_name(plan.method) if plan.method else "")


@bp.get("/pay/plan/pay-now")
@patient_session.link_required()
def plan_pay_now_confirm():
    """The confirmation before paying ahead or paying off: amount, card, and one button."""
    plan = plans.active_plan(g.invoice) or abort(404)
    what = request.args.get("what")
    if what not in PAY_NOW:
        abort(404)
    amount, installment = _pay_now_amount(plan, what)
    if amount <= 0:
        abort(404)
    return render_template(
        "patient/plan_pay_confirm.html",
        plan=plan,
        invoice=g.invoice,
        what=what,
        amount_minor=amount,
        installment=installment,
        label=method_label(plan),
        **checkout_keys(g.practice),
    )


@bp.post("/pay/plan/pay-now")
@patient_session.link_required()
def plan_pay_now():
    """Pay the next installment, or the whole rest, now with the saved payment method."""
    plan = plans.active_plan(g.invoice)
    body = request.get_json(silent=True) or {}
    what = body.get("what")
    if plan is None or what not in PAY_NOW:
        return _refused(PaymentRefused(PaymentReason.NOTHING_DUE))
    saved = SavedMethod(
        g.invoice.patient.stripe_customer_id, plan.stripe_payment_method_id, plan.method
    )
    amount, installment = _pay_now_amount(plan, what)
    actor = patient_session.actor(request.remote_addr)
    try:
        if installment is not None:
            outcome = payments.charge(
                g.invoice,
                saved,
                actor,
                amount_minor=amount,
                installment=charging.Seen.of(installment),
                expected_minor=expected_amount(body),
            )
        else:
            outcome = payments.charge(g.invoice, saved, actor, expected_minor=expected_amount(body))
    except PaymentRefused as exc:
        return _refused(exc)
    return jsonify(_with_secret(outcome))


@bp.get("/pay/plan/card")
@patient_session.link_required()
def plan_card():
    plan = plans.active_plan(g.invoice) or abort(404)
    return render_template(
        "patient/checkout.html",
        invoice=g.invoice,
        practice=g.practice,
        patient=g.invoice.patient,
        summary=invoices.summarize(g.invoice),
        methods=saved_methods.methods_for(g.invoice),
        pending=None,
        **checkout_keys(g.practice),
        heading=_("Change the payment method"),
        amount_minor=0,
        confirm_url=url_for("patient.plan_card_confirm"),
        button_label=_("Save the new payment method"),
        plan=plan,
        intro=_("Now: %(method)s. Nothing is charged now.", method=method_label(plan)),
    )


@bp.post("/pay/plan/card")
@patient_session.link_required()
def plan_card_confirm():
    plan = plans.active_plan(g.invoice)
    if plan is None:
        return _refused(PaymentRefused(PaymentReason.NOTHING_DUE))
    try:
        setup_intent_id = str((request.get_json(silent=True) or {}).get("setup_intent_id", ""))
        saved = saved_methods.saved_method(g.invoice, setup_intent_id)
    except PaymentRefused as exc:
        return _refused(exc)
    plan.method, plan.stripe_payment_method_id = saved.method, saved.payment_method_id
    payment_methods.remember(plan, saved.payment_method_id)
    actor = patient_session.actor(request.remote_addr)
    agreements.record_event(plan, "payment_method_changed", actor)
    db.session.commit()
    return jsonify(status="saved", next=url_for("patient.plan_card_saved"))


@bp.get("/pay/plan/card/saved")
@patient_session.link_required()
def plan_card_saved():
    """The confirmation after changing the card: which one, and when it is next charged."""
    plan = plans.active_plan(g.invoice) or abort(404)
    return render_template(
        "patient/plan_card_saved.html",
        plan=plan,
        invoice=g.invoice,
        label=method_label(plan),
        upcoming=_upcoming(plan),
    )
