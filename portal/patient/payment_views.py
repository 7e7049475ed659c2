"""Paying the balance: the checkout page and the small JSON calls its script makes."""

from flask import Response, abort, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from portal.downloads import content_disposition
from portal.extensions import db
from portal.i18n import current_locale, money_filter
from portal.models import Invoice, Payment
from portal.models.invoice import InvoiceStatus
from portal.models.payment import PaymentStatus
from portal.patient import bill_cache, bp
from portal.patient import limits as patient_limits
from portal.patient import session as patient_session
from portal.patient.messages import failure, refusal, setup_failure
from portal.services.billing import bill_page, invoices, receipts
from portal.services.core.refusals import PaymentReason
from portal.services.payments import payment_methods, payments, saved_methods
from portal.services.payments.payments import PaymentRefused
from portal.services.payments.stripe_accounts import checkout_keys

#: the checkout reads the invoice's lines with the link (three statements in all)
CHECKOUT_OPTIONS = (joinedload(Invoice.lines),)


def _payment(payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.invoice_id != g.invoice.id:
        abort(404)
    return payment


def _next_step(payment: Payment) -> dict:
    """What the page does next; a payment whose answer was lost is "checking", never failed."""
    status = "checking" if payment.status == PaymentStatus.CREATING else payment.status
    body: dict = {"status": status}
    if payment.status in (
        PaymentStatus.CREATING,
        PaymentStatus.SUCCEEDED,
        PaymentStatus.PROCESSING,
        PaymentStatus.FAILED,
        PaymentStatus.CANCELED,
    ):
        body["next"] = url_for("patient.payment_result", payment_id=payment.id)
    if payment.status == PaymentStatus.FAILED:
        body["error"] = failure(payment.failure_code)
    return body


def expected_amount(body: dict) -> int | None:
    """The amount the page showed the patient, as the confirm call carries it."""
    value = body.get("amount_minor")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _refused(exc: PaymentRefused):
    if exc.reason == PaymentReason.AMOUNT_CHANGED:
        amount = money_filter(int(exc.detail or 0), g.invoice.currency)
        return jsonify(
            error=_(
                "The amount due is now %(amount)s. Please check it and confirm again.",
                amount=amount,
            ),
            reason=exc.reason,
            amount_minor=int(exc.detail or 0),
            amount=amount,
            button=_("Pay %(amount)s", amount=amount),
        ), 409
    status = 409 if exc.reason in (PaymentReason.NOTHING_DUE, PaymentReason.IN_PROGRESS) else 402
    if exc.reason in (PaymentReason.METHOD, PaymentReason.SETUP):
        status = 400
    if exc.reason == PaymentReason.UNAVAILABLE:
        status = 503
    return jsonify(error=refusal(exc.reason, exc.detail), reason=exc.reason), status


@bp.get("/pay/checkout")
@patient_limits.default_unless_verified
def checkout():
    """The checkout, kept like the bill while nothing it shows has changed (its balance, the
    payment in flight and the practice's Stripe account are all in the bill's version)."""
    state = bill_cache.current_state()
    response = bill_cache.serve(state, _render_checkout) if state is not None else None
    return response if response is not None else _checkout()


@patient_session.link_required(options=CHECKOUT_OPTIONS)
def _checkout():
    return _checkout_page(bill_page.summary_of(g.invoice))


def _render_checkout(state) -> str | None:
    """The checkout of a verified session's `state` (None when its link is gone meanwhile)."""
    if patient_session.load_link(CHECKOUT_OPTIONS) is None:
        return None
    return _checkout_page(bill_page.summary_of(g.invoice, sums=state.sums))


def _checkout_page(summary) -> str:
    if summary.balance_minor <= 0 or g.invoice.status != InvoiceStatus.OPEN:
        return render_template("patient/nothing_due.html", invoice=g.invoice)
    return render_template(
        "patient/checkout.html",
        invoice=g.invoice,
        practice=g.practice,
        patient=g.invoice.patient,
        summary=summary,
        methods=saved_methods.methods_for(g.invoice),
        pending=payments.in_flight(g.invoice),
        **checkout_keys(g.practice),
    )


@bp.post("/pay/setup")
@patient_session.link_required()
def setup():
    """A SetupIntent for one method ({"method": "card"}) or for those the Payment Element
    offers ({"methods": ["card", "sepa_debit"]})."""
    body = request.get_json(silent=True) or {}
    methods = body.get("methods")
    if isinstance(methods, list) and all(isinstance(m, str) for m in methods):
        method: str | list[str] = methods
    else:
        method = str(body.get("method"))
    try:
        _, client_secret = saved_methods.prepare_setup(g.invoice, method)
    except PaymentRefused as exc:
        return _refused(exc)
    return jsonify(client_secret=client_secret)


@bp.post("/pay/setup/problem")
@patient_session.link_required()
def setup_problem():
    """What to tell the patient when Stripe.js could not save the card or IBAN: from the
    codes Stripe.js reported or, when it gave none, from the SetupIntent itself."""
    body = request.get_json(silent=True) or {}
    code, decline = body.get("code"), body.get("decline_code")
    code = code if isinstance(code, str) else None
    decline = decline if isinstance(decline, str) else None
    secret = body.get("client_secret")
    if not (code or decline) and isinstance(secret, str) and secret.startswith("seti_"):
        code = payment_methods.setup_problem(g.invoice, secret.split("_secret_")[0])
    return jsonify(error=setup_failure(code, decline), code=decline or code)


@bp.post("/pay/confirm")
@patient_session.link_required()
def confirm():
    body = request.get_json(silent=True) or {}
    setup_intent_id = body.get("setup_intent_id")
    if not isinstance(setup_intent_id, str) or not setup_intent_id.startswith("seti_"):
        return _refused(PaymentRefused(PaymentReason.SETUP))
    actor = patient_session.actor(request.remote_addr)
    try:
        outcome = saved_methods.pay_in_full(
            g.invoice, setup_intent_id, actor, expected_amount(body)
        )
    except PaymentRefused as exc:
        return _refused(exc)
    body = _next_step(outcome.payment)
    if outcome.client_secret:
        body["client_secret"] = outcome.client_secret
        body["refresh"] = url_for("patient.refresh_payment", payment_id=outcome.payment.id)
    return jsonify(body)


@bp.post("/pay/payments/<int:payment_id>/refresh")
@patient_session.link_required()
def refresh_payment(payment_id: int):
    payment = payments.refresh(_payment(payment_id), patient_session.actor(request.remote_addr))
    return jsonify(_next_step(payment))


@bp.get("/pay/payments/<int:payment_id>")
@patient_session.link_required()
def payment_result(payment_id: int):
    payment = _payment(payment_id)
    if payment.status in (PaymentStatus.PROCESSING, PaymentStatus.CREATING):
        payments.refresh(payment, patient_session.actor(request.remote_addr))
    return render_template(
        "patient/result.html",
        payment=payment,
        invoice=g.invoice,
        practice=g.practice,
        summary=invoices.summarize(g.invoice),
        message=failure(payment.failure_code) if payment.status == PaymentStatus.FAILED else None,
    )


@bp.get("/pay/payments/<int:payment_id>/receipt.pdf")
@patient_session.link_required()
def receipt(payment_id: int):
    payment = _payment(payment_id)
    if payment.status != PaymentStatus.SUCCEEDED:
        abort(404)
    locale = current_locale()
    pdf = receipts.render_pdf(payment, locale)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": content_disposition(receipts.filename(payment, locale))},
    )
