"""Paying part of the balance: the amount comes from the bill's form, is checked by the
server against the balance and the practice's minimum, and is paid on the checkout page."""

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _

from portal.i18n import money_filter
from portal.money import parse_amount
from portal.patient import bp
from portal.patient import session as patient_session
from portal.patient.bill_render import render_bill
from portal.patient.offer_views import _checkout, _saved_method
from portal.patient.payment_views import _next_step, _refused, expected_amount
from portal.services.billing import bill_page
from portal.services.payments import partial
from portal.services.payments.partial import PartialRefused
from portal.services.payments.payments import PaymentRefused


def _bill_with_error(message: str, value: str):
    return render_bill(bill_page.build(g.invoice), part_error=message, part_value=value), 422


@bp.get("/pay/part")
@patient_session.link_required(options=bill_page.LINK_OPTIONS)
def partial_checkout():
    text = (request.args.get("amount") or "").strip()[:20]
    try:
        amount_minor = parse_amount(text, g.invoice.currency)
    except ValueError:
        return _bill_with_error(_("Enter an amount like 50.00."), text)
    try:
        rules = partial.check_amount(g.invoice, amount_minor)
    except PartialRefused as exc:
        return _bill_with_error(exc.message, text)
    currency = g.invoice.currency
    return _checkout(
        amount_minor,
        _("Pay part of your bill"),
        _(
            "You pay %(amount)s now; %(rest)s remains due.",
            amount=money_filter(amount_minor, currency),
            rest=money_filter(rules.balance_minor - amount_minor, currency),
        ),
        url_for("patient.partial_confirm"),
    )


@bp.post("/pay/part/confirm")
@patient_session.link_required()
def partial_confirm():
    amount_minor = expected_amount(request.get_json(silent=True) or {})
    if amount_minor is None:
        return jsonify(error=_("Enter the amount you want to pay."), reason="amount"), 400
    actor = patient_session.actor(request.remote_addr)
    try:
        outcome = partial.pay_part(g.invoice, _saved_method(), amount_minor, actor)
    except PartialRefused as exc:
        return jsonify(error=exc.message, reason=exc.reason), 422
    except PaymentRefused as exc:
        return _refused(exc)
    body = _next_step(outcome.payment)
    if outcome.client_secret:
        body["client_secret"] = outcome.client_secret
        body["refresh"] = url_for("patient.refresh_payment", payment_id=outcome.payment.id)
    return jsonify(body)
