"""Invoices: the list, drafts with lines, issuing, the detail page with its timeline, sending."""

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.clock import practice_today, utcnow
from portal.extensions import db
from portal.gateways import qr
from portal.models import Invoice, Patient, PaymentLink
from portal.models.delivery import DeliveryStatus
from portal.models.invoice import InvoiceStatus
from portal.money import format_plain, parse_amount
from portal.services import messaging
from portal.services.access import links
from portal.services.billing import invoices, staff_invoice_page
from portal.services.billing.invoices import InvalidInvoice, LineInput
from portal.services.collections import worklist
from portal.services.core import audit_actions
from portal.services.messaging import CannotSend
from portal.staff import bp
from portal.staff.access import READ, WRITE, actor, role_required, scoped
from portal.staff.collection_forms import HoldForm, ReleaseForm
from portal.staff.fiscal_forms import CodiceFiscaleForm
from portal.staff.forms import (
    ActionForm,
    DeskPaymentForm,
    InvoiceForm,
    ReasonForm,
    RefundForm,
    SendForm,
    WriteOffForm,
)
from portal.staff.offer_views import OfferForm
from portal.units import commit_or_flash, commit_or_refuse


@bp.get("/")
@role_required(*READ)
def dashboard():
    args = request.args
    try:
        minimum = (
            parse_amount(args["min"], current_user.practice.currency) if args.get("min") else None
        )
    except ValueError:
        minimum = None
    page = worklist.invoices(
        current_user.practice_id,
        text=args.get("q", ""),
        status=args.get("status", ""),
        age=args.get("age", ""),
        min_balance_minor=minimum,
        today=practice_today(current_user.practice),
        after=args.get("after"),
    )
    filters = {key: args[key] for key in ("q", "status", "age", "min") if args.get(key)}
    return render_template(
        "staff/dashboard.html",
        rows=page.rows,
        next_url=url_for("staff.dashboard", after=page.next_after, **filters)
        if page.next_after
        else None,
        first_url=url_for("staff.dashboard", **filters) if args.get("after") else None,
        args=args,
        ages=worklist.AGES,
    )


def _lines(form: InvoiceForm, currency: str) -> list[LineInput]:
    result = []
    for number, entry in enumerate(form.lines.entries, start=1):
        line = entry.form
        if not (line.description.data or line.charged.data):
            continue
        try:
            amounts = [
                parse_amount(field.data or "0", currency)
                for field in (line.charged, line.insurance_paid, line.adjustment)
            ]
        except ValueError as exc:
            raise InvalidInvoice(_("Line %(n)s: enter amounts like 120.50.", n=number)) from exc
        if not line.service_date.data or not (line.description.data or "").strip():
            raise InvalidInvoice(_("Line %(n)s: enter a service date and a description.", n=number))
        result.append(
            LineInput(
                service_date=line.service_date.data,
                description=line.description.data,
                charged_minor=amounts[0],
                insurance_paid_minor=amounts[1],
                adjustment_minor=amounts[2],
                procedure_code=line.procedure_code.data,
            )
        )
    return result


def _next_number(practice_id: int) -> str:
    count = db.session.scalar(
        db.select(db.func.count()).select_from(Invoice).filter_by(practice_id=practice_id)
    )
    return f"{practice_today(current_user.practice).year}-{count + 1:04d}"


@bp.route("/patients/<int:patient_id>/invoices/new", methods=["GET", "POST"])
@role_required(*WRITE)
def invoice_new(patient_id: int):
    patient = scoped(Patient, patient_id)
    form = InvoiceForm()
    if request.method == "GET":
        form.number.data = _next_number(current_user.practice_id)
        today = practice_today(current_user.practice)
        form.issued_on.data, form.due_on.data = today, today + timedelta(days=30)
        form.lines.entries[0].form.service_date.data = today
    if form.validate_on_submit():
        created = commit_or_refuse(
            lambda: invoices.create_invoice(
                patient,
                number=form.number.data,
                issued_on=form.issued_on.data,
                due_on=form.due_on.data,
                lines=_lines(form, current_user.practice.currency),
                actor=actor(request.remote_addr),
                draft=request.form.get("then") != "issue",
            ),
            InvalidInvoice,
        )
        if created:
            return redirect(url_for("staff.invoice_detail", invoice_id=created.value.id))
        form.form_errors.append(created.message)
    return render_template("staff/invoice_form.html", form=form, patient=patient, invoice=None)


@bp.route("/invoices/<int:invoice_id>/edit", methods=["GET", "POST"])
@role_required(*WRITE)
def invoice_edit(invoice_id: int):
    invoice = scoped(Invoice, invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        abort(409)
    form = InvoiceForm(obj=invoice)
    if request.method == "GET":
        while len(form.lines.entries) < len(invoice.lines) + 1:
            form.lines.append_entry()
        for entry, line in zip(form.lines.entries, invoice.lines, strict=False):
            entry.form.service_date.data = line.service_date
            entry.form.procedure_code.data = line.procedure_code
            entry.form.description.data = line.description
            for name in ("charged", "insurance_paid", "adjustment"):
                minor = getattr(line, f"{name}_minor")
                entry.form[name].data = format_plain(minor, invoice.currency)
    if form.validate_on_submit():

        def save():
            invoices.update_draft(
                invoice,
                issued_on=form.issued_on.data,
                due_on=form.due_on.data,
                lines=_lines(form, invoice.currency),
                actor=actor(request.remote_addr),
            )
            if request.form.get("then") == "issue":
                invoices.issue(invoice, actor(request.remote_addr))

        saved = commit_or_refuse(save, InvalidInvoice)
        if saved:
            return redirect(url_for("staff.invoice_detail", invoice_id=invoice.id))
        form.form_errors.append(saved.message)
    return render_template(
        "staff/invoice_form.html", form=form, patient=invoice.patient, invoice=invoice
    )


@bp.post("/invoices/<int:invoice_id>/issue")
@role_required(*WRITE)
def invoice_issue(invoice_id: int):
    invoice = scoped(Invoice, invoice_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    commit_or_flash(lambda: invoices.issue(invoice, actor(request.remote_addr)), InvalidInvoice)
    return redirect(url_for("staff.invoice_detail", invoice_id=invoice.id))


@bp.get("/invoices/<int:invoice_id>")
@role_required(*READ)
def invoice_detail(invoice_id: int):
    invoice = scoped(Invoice, invoice_id)
    page = staff_invoice_page.build(invoice, practice_today(current_user.practice))
    offer_form = OfferForm()
    offer_form.expires_on.data = (
        offer_form.expires_on.data or page.offers.default_expires_on.isoformat()
    )
    return render_template(
        "staff/invoice.html",
        page=page,
        invoice=page.invoice,
        event_label=audit_actions.label,
        send_form=SendForm(),
        action=ActionForm(),
        desk_form=DeskPaymentForm(),
        refund_form=RefundForm(),
        void_form=ReasonForm(),
        write_off_form=WriteOffForm(),
        offer_form=offer_form,
        cf_form=CodiceFiscaleForm(),
        hold_form=HoldForm(prefix="hold", formdata=None),
        release_form=ReleaseForm(prefix="release", formdata=None),
    )


@bp.post("/invoices/<int:invoice_id>/send")
@role_required(*WRITE)
def invoice_send(invoice_id: int):
    invoice = scoped(Invoice, invoice_id)
    form = SendForm()
    if not form.validate_on_submit():
        abort(400)
    sent = commit_or_flash(
        lambda: messaging.send_link(invoice, form.channel.data, actor(request.remote_addr)),
        CannotSend,
    )
    if sent:
        delivery = sent.value
        if delivery.status == DeliveryStatus.SENT:
            flash(_("Link sent to %(to)s.", to=delivery.recipient), "info")
        elif delivery.status == DeliveryStatus.QUEUED:
            flash(
                _(
                    "It is outside the patient's hours (8:00 to 21:00): "
                    "the message will be sent when they begin."
                ),
                "info",
            )
        else:
            flash(_("The message could not be delivered; it will be retried."), "error")
    return redirect(url_for("staff.invoice_detail", invoice_id=invoice.id))


@bp.post("/invoices/<int:invoice_id>/link")
@role_required(*WRITE)
def invoice_link(invoice_id: int):
    """A fresh link to copy or to show as a QR code at the desk (earlier links stop working)."""
    invoice = scoped(Invoice, invoice_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if invoice.status != InvoiceStatus.OPEN:
        flash(_("Only issued, unpaid invoices can be sent."), "error")
        return redirect(url_for("staff.invoice_detail", invoice_id=invoice.id))
    _link, url = messaging.new_link(invoice, actor(request.remote_addr))
    db.session.commit()
    return render_template("staff/link.html", invoice=invoice, url=url, qr=qr.svg(url))


@bp.post("/invoices/<int:invoice_id>/revoke")
@role_required(*WRITE)
def invoice_revoke(invoice_id: int):
    invoice = scoped(Invoice, invoice_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    live = db.select(PaymentLink).filter_by(invoice_id=invoice.id, revoked_at=None)
    for link in db.session.scalars(live):
        links.revoke(link, actor(request.remote_addr))
    db.session.commit()
    flash(_("Links for this invoice no longer work."), "info")
    return redirect(url_for("staff.invoice_detail", invoice_id=invoice.id))


@bp.get("/invoices/<int:invoice_id>/preview")
@role_required(*READ)
def invoice_preview(invoice_id: int):
    """The email and text message the patient would get, in the patient's language."""
    invoice = scoped(Invoice, invoice_id)
    example = f"{current_app.config['PORTAL_BASE_URL'].rstrip('/')}/p/…"
    expires = utcnow() + timedelta(days=current_app.config["LINK_LIFETIME_DAYS"])
    return render_template(
        "staff/preview.html",
        invoice=invoice,
        email=messaging.render_link_message(invoice, "email", example, expires),
        sms=messaging.render_link_message(invoice, "sms", example, expires),
    )
