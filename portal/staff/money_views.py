"""Money at the desk: payments taken in person, refunds, voids and write-offs."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Invoice, Payment
from portal.money import parse_amount
from portal.services.billing import money
from portal.services.billing.money import MoneyRefused
from portal.staff import bp
from portal.staff.access import WRITE, actor, role_required, scoped
from portal.staff.forms import DeskPaymentForm, ReasonForm, RefundForm, WriteOffForm
from portal.units import commit_or_flash


def _back(invoice: Invoice):
    return redirect(url_for("staff.invoice_detail", invoice_id=invoice.id))


def _amount(text: str, currency: str) -> int:
    try:
        return parse_amount(text, currency)
    except ValueError as exc:
        raise MoneyRefused(_("Enter an amount like 120.50.")) from exc


def _run(invoice: Invoice, form, action, done_message: str):
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return _back(invoice)
    if commit_or_flash(action, MoneyRefused):
        flash(done_message, "info")
    return _back(invoice)


@bp.post("/invoices/<int:invoice_id>/payments")
@role_required(*WRITE)
def desk_payment(invoice_id: int):
    invoice = scoped(Invoice, invoice_id)
    form = DeskPaymentForm()
    return _run(
        invoice,
        form,
        lambda: money.record_desk_payment(
            invoice,
            _amount(form.amount.data, invoice.currency),
            form.method.data,
            actor(request.remote_addr),
            form.note.data or "",
            claim_key=request.form.get("claim_key") or None,
        ),
        _("Payment recorded."),
    )


@bp.post("/invoices/<int:invoice_id>/payments/<int:payment_id>/refund")
@role_required(*WRITE)
def refund(invoice_id: int, payment_id: int):
    invoice = scoped(Invoice, invoice_id)
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.invoice_id != invoice.id:
        abort(404)
    form = RefundForm()
    return _run(
        invoice,
        form,
        lambda: money.refund(
            payment,
            _amount(form.amount.data, invoice.currency),
            form.reason.data,
            actor(request.remote_addr),
            reduce_balance=form.reduce_balance.data,
            claim_key=request.form.get("claim_key") or None,
        ),
        _("Refund made."),
    )


@bp.post("/invoices/<int:invoice_id>/void")
@role_required(*WRITE)
def void(invoice_id: int):
    invoice = scoped(Invoice, invoice_id)
    form = ReasonForm()
    return _run(
        invoice,
        form,
        lambda: money.void(invoice, form.reason.data, actor(request.remote_addr)),
        _("Invoice voided."),
    )


@bp.post("/invoices/<int:invoice_id>/write-off")
@role_required(*WRITE)
def write_off(invoice_id: int):
    invoice = scoped(Invoice, invoice_id)
    form = WriteOffForm()
    return _run(
        invoice,
        form,
        lambda: money.write_off(
            invoice,
            _amount(form.amount.data, invoice.currency),
            form.reason.data,
            actor(request.remote_addr),
        ),
        _("Amount written off."),
    )
