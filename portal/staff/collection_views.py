"""Collections at the desk: the call queue and its outcomes, the day's reminder letters, and
holds or disputes on an invoice."""

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.clock import practice_today
from portal.downloads import content_disposition
from portal.models import CallTask, Invoice
from portal.models.call_task import CallOutcome, CallStatus
from portal.money import parse_amount
from portal.services.collections import calls, holds, letters
from portal.services.collections.calls import CallRefused
from portal.staff import bp
from portal.staff.access import READ, WRITE, actor, role_required, scoped
from portal.staff.collection_forms import OUTCOME_LABELS, CallOutcomeForm, HoldForm, ReleaseForm
from portal.units import commit_or_flash, commit_or_refuse


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")


def _outcome_form(task_id: int, **kwargs) -> CallOutcomeForm:
    return CallOutcomeForm(prefix=f"task-{task_id}", **kwargs)


def _queue(failed: CallOutcomeForm | None = None, failed_id: int | None = None):
    practice = current_user.practice
    today = practice_today(practice)
    items = calls.queue(practice, today, current_user.name)
    forms = {}
    if current_user.can(*WRITE):
        forms = {item.task.id: _outcome_form(item.task.id, formdata=None) for item in items}
        if failed is not None and failed_id in forms:
            forms[failed_id] = failed
        elif failed is not None:
            _flash_errors(failed)
    return render_template("staff/calls.html", items=items, forms=forms, today=today)


@bp.get("/calls")
@role_required(*READ)
def call_queue():
    return _queue()


def _promise(form: CallOutcomeForm, currency: str) -> tuple[date | None, int | None]:
    if form.outcome.data != CallOutcome.PROMISE:
        return None, None
    text = (form.promise_amount.data or "").strip()
    try:
        amount = parse_amount(text, currency) if text else None
    except ValueError as exc:
        raise CallRefused(_("Enter an amount like 120.50.")) from exc
    return form.promise_on.data, amount


@bp.post("/calls/<int:task_id>")
@role_required(*WRITE)
def call_outcome(task_id: int):
    task = scoped(CallTask, task_id)
    form = _outcome_form(task.id)
    if not form.validate_on_submit():
        return _refused(task, form)
    name = task.patient.full_name

    def record():
        promise_on, amount = _promise(form, task.invoice.currency)
        calls.record_outcome(
            task,
            form.outcome.data,
            current_user,
            form.note.data,
            promise_on,
            amount,
            ip_address=request.remote_addr,
        )

    recorded = commit_or_refuse(record, CallRefused)
    if not recorded:
        form.form_errors.append(recorded.message)
        return _refused(task, form)
    outcome = str(OUTCOME_LABELS[form.outcome.data])
    flash(_("Call with %(name)s recorded: %(outcome)s.", name=name, outcome=outcome), "info")
    return redirect(url_for("staff.call_queue"))


def _refused(task: CallTask, form: CallOutcomeForm):
    """The queue again with the form's errors, or back to it if the task is already closed."""
    if task.status != CallStatus.OPEN:
        _flash_errors(form)
        return redirect(url_for("staff.call_queue"))
    return _queue(form, task.id), 422


@bp.get("/letters")
@role_required(*READ)
def letter_days():
    return render_template("staff/calls_letters.html", days=letters.days(current_user.practice))


@bp.get("/letters/<day>.pdf")
@role_required(*READ)
def letter_batch(day: str):
    try:
        when = date.fromisoformat(day) if len(day) == 10 else None
    except ValueError:
        when = None
    if when is None:
        abort(404)
    pdf = letters.batch_pdf(current_user.practice, when)
    if pdf is None:
        abort(404)
    name = letters.filename(current_user.practice, when)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": content_disposition(name)},
    )


def _back(invoice: Invoice):
    return redirect(url_for("staff.invoice_detail", invoice_id=invoice.id) + "#collections-title")


@bp.post("/invoices/<int:invoice_id>/hold")
@role_required(*WRITE)
def invoice_hold(invoice_id: int):
    invoice = scoped(Invoice, invoice_id)
    form = HoldForm(prefix="hold")
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back(invoice)
    who = actor(request.remote_addr)
    if not commit_or_flash(lambda: holds.set_hold(invoice, form.kind.data, form.note.data, who)):
        return _back(invoice)
    if form.kind.data == "dispute":
        flash(_("The invoice is marked as disputed; reminders are paused."), "info")
    else:
        flash(_("The invoice is on hold; reminders are paused."), "info")
    return _back(invoice)


@bp.post("/invoices/<int:invoice_id>/release")
@role_required(*WRITE)
def invoice_release(invoice_id: int):
    invoice = scoped(Invoice, invoice_id)
    form = ReleaseForm(prefix="release")
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back(invoice)
    who = actor(request.remote_addr)
    if not commit_or_flash(lambda: holds.release(invoice, form.note.data, who)):
        return _back(invoice)
    flash(_("The hold is lifted; reminders can resume."), "info")
    return _back(invoice)
