"""The patient's incentives: the early-payment discount and a settlement offer, shown on the
bill and paid through variants of the checkout page. Amounts come from the server only."""

from flask import g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.clock import practice_today
from portal.i18n import day_filter, money_filter
from portal.models import SettlementOffer
from portal.patient import bp
from portal.patient import session as patient_session
from portal.patient.payment_views import _next_step, _payment, _refused
from portal.services.billing import invoices, ledger
from portal.services.core.refusals import PaymentReason
from portal.services.incentives import booking, discounts, settlements
from portal.services.incentives.rules import DISCOUNT_UNAVAILABLE, OFFER_UNAVAILABLE
from portal.services.payments import payments, saved_methods
from portal.services.payments.payments import Outcome, PaymentRefused
from portal.services.payments.stripe_accounts import checkout_keys

UNAVAILABLE = {
    DISCOUNT_UNAVAILABLE: _l(
        "The early-payment discount is no longer available. "
        "Please see your bill for the amount due."
    ),
    OFFER_UNAVAILABLE: _l(
        "This offer is no longer available. Please see your bill for the amount due."
    ),
}


def _refuse(exc: PaymentRefused):
    if exc.reason in UNAVAILABLE:
        return jsonify(error=str(UNAVAILABLE[exc.reason]), reason=exc.reason), 409
    return _refused(exc)


def _unavailable(reason: str, status: int = 410):
    return render_template(
        "patient/offer_unavailable.html", invoice=g.invoice, message=UNAVAILABLE[reason]
    ), status


def _checkout(amount_minor: int, heading: str, intro: str, confirm_url: str):
    invoice = g.invoice
    return render_template(
        "patient/checkout.html",
        invoice=invoice,
        practice=g.practice,
        patient=invoice.patient,
        summary=invoices.summarize(invoice),
        methods=saved_methods.methods_for(invoice),
        pending=payments.in_flight(invoice),
        **checkout_keys(g.practice),
        heading=heading,
        amount_minor=amount_minor,
        confirm_url=confirm_url,
        intro=intro,
    )


def _answer(outcome: Outcome):
    body = _next_step(outcome.payment)
    if outcome.client_secret:
        body["client_secret"] = outcome.client_secret
        body["refresh"] = url_for("patient.incentive_refresh", payment_id=outcome.payment.id)
    return jsonify(body)


def _saved_method():
    setup_intent_id = (request.get_json(silent=True) or {}).get("setup_intent_id")
    if not isinstance(setup_intent_id, str) or not setup_intent_id.startswith("seti_"):
        raise PaymentRefused(PaymentReason.SETUP)
    return saved_methods.saved_method(g.invoice, setup_intent_id)


@bp.get("/pay/discount")
@patient_session.link_required()
def discount_checkout():
    offer = discounts.early_discount(g.invoice, practice_today(g.invoice.practice))
    if offer is None:
        return _unavailable(DISCOUNT_UNAVAILABLE)
    return _checkout(
        offer.pay_minor,
        _("Pay early and save"),
        _(
            "Paying the whole balance of %(balance)s by %(date)s saves you %(saving)s "
            "(%(percent)s%%).",
            balance=money_filter(offer.balance_minor, offer.currency),
            date=day_filter(offer.deadline),
            saving=money_filter(offer.discount_minor, offer.currency),
            percent=offer.percent,
        ),
        url_for("patient.discount_confirm"),
    )


@bp.post("/pay/discount/confirm")
@patient_session.link_required()
def discount_confirm():
    actor, today = patient_session.actor(request.remote_addr), practice_today(g.invoice.practice)
    if discounts.early_discount(g.invoice, today) is None:
        return _refuse(PaymentRefused(DISCOUNT_UNAVAILABLE))
    try:
        outcome = discounts.pay_discounted(g.invoice, _saved_method(), actor, today)
    except PaymentRefused as exc:
        return _refuse(exc)
    return _answer(outcome)


def _offer(offer_id: int) -> SettlementOffer | None:
    """The offer `offer_id` if it belongs to the session's invoice."""
    return next((o for o in settlements.offers_for(g.invoice) if o.id == offer_id), None)


@bp.get("/pay/settlement/<int:offer_id>")
@patient_session.link_required()
def settlement_checkout(offer_id: int):
    if _offer(offer_id) is None:
        return _unavailable(OFFER_UNAVAILABLE, 404)
    offer = settlements.payable_offer(g.invoice, offer_id, practice_today(g.invoice.practice))
    if offer is None:
        return _unavailable(OFFER_UNAVAILABLE)
    currency = g.invoice.currency
    return _checkout(
        offer.amount_minor,
        _("Settle your bill"),
        _(
            "Pay %(amount)s by %(date)s and %(practice)s forgives the rest of the balance, "
            "%(rest)s.",
            amount=money_filter(offer.amount_minor, currency),
            date=day_filter(offer.expires_on),
            practice=g.practice.name,
            rest=money_filter(ledger.balance(g.invoice.id) - offer.amount_minor, currency),
        ),
        url_for("patient.settlement_confirm", offer_id=offer.id),
    )


@bp.post("/pay/settlement/<int:offer_id>/confirm")
@patient_session.link_required()
def settlement_confirm(offer_id: int):
    offer = _offer(offer_id)
    actor, today = patient_session.actor(request.remote_addr), practice_today(g.invoice.practice)
    if offer is None or settlements.payable_offer(g.invoice, offer_id, today) is None:
        return _refuse(PaymentRefused(OFFER_UNAVAILABLE))
    try:
        outcome = settlements.pay_settlement(offer, _saved_method(), actor, today)
    except PaymentRefused as exc:
        return _refuse(exc)
    return _answer(outcome)


@bp.post("/pay/incentives/payments/<int:payment_id>/refresh")
@patient_session.link_required()
def incentive_refresh(payment_id: int):
    """The read-back after 3-D Secure: the payment, then what it forgives."""
    actor = patient_session.actor(request.remote_addr)
    payment = payments.refresh(_payment(payment_id), actor)
    booking.on_payment_succeeded(payment, actor)
    return jsonify(_next_step(payment))
