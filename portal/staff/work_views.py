"""What still has to happen after payments (emails, sealing), refunds left pending by a lost
answer, and credits to give back."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.models import Invoice, Payment, PendingWork, Refund
from portal.models.payment import RefundStatus
from portal.services.billing import money
from portal.services.billing.money import MoneyRefused
from portal.services.core import backlog, outbox
from portal.staff import bp
from portal.staff.access import WRITE, actor, role_required, scoped
from portal.staff.forms import ActionForm
from portal.units import commit_or_flash


@bp.context_processor
def _money_helpers():
    return {"new_claim_key": money.new_claim_key}


@bp.get("/work")
@role_required(*WRITE)
def pending_work():
    rows = outbox.unfinished(current_user.practice_id)
    return render_template(
        "staff/work.html",
        rows=rows,
        left=backlog.of(current_user.practice_id),
        stuck=backlog.stuck_payments(current_user.practice_id),
        invoices={i.id: i for i in _invoices_of(rows)},
        action=ActionForm(),
    )


def _invoices_of(rows: list[PendingWork]) -> list[Invoice]:
    ids = {row.invoice_id for row in rows if row.invoice_id}
    if not ids:
        return []
    return list(db.session.scalars(db.select(Invoice).where(Invoice.id.in_(ids))))


@bp.post("/work/<int:work_id>/retry")
@role_required(*WRITE)
def pending_work_retry(work_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    outbox.retry(scoped(PendingWork, work_id), actor(request.remote_addr))
    db.session.commit()
    flash(_("It will be tried again within a minute."), "info")
    return redirect(url_for("staff.pending_work"))


def _payment_of(invoice: Invoice, payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.invoice_id != invoice.id:
        abort(404)
    return payment


def _done(invoice: Invoice, action, message: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    done = commit_or_flash(action, MoneyRefused)
    if done:
        pending = done.value.status == RefundStatus.PENDING
        flash(_("The refund is pending at the bank.") if pending else message, "info")
    return redirect(url_for("staff.invoice_detail", invoice_id=invoice.id))


@bp.post("/invoices/<int:invoice_id>/payments/<int:payment_id>/refund-credit")
@role_required(*WRITE)
def refund_credit(invoice_id: int, payment_id: int):
    invoice = scoped(Invoice, invoice_id)
    payment = _payment_of(invoice, payment_id)
    key = request.form.get("claim_key") or None
    return _done(
        invoice,
        lambda: money.refund_credit(payment, actor(request.remote_addr), key),
        _("The credit was refunded."),
    )


@bp.post("/invoices/<int:invoice_id>/refunds/<int:refund_id>/retry")
@role_required(*WRITE)
def refund_retry(invoice_id: int, refund_id: int):
    invoice = scoped(Invoice, invoice_id)
    record = db.session.get(Refund, refund_id)
    if record is None or record.payment.invoice_id != invoice.id:
        abort(404)
    return _done(
        invoice,
        lambda: money.retry_refund(record, actor(request.remote_addr)),
        _("Refund made."),
    )
