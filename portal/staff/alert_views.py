"""The alerts queue: accounts that slipped, most urgent first, with one-click actions."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.clock import practice_today
from portal.models import Alert
from portal.models.alert import ALERT_KINDS
from portal.models.delivery import DeliveryStatus
from portal.services.collections import alert_actions, alert_queue
from portal.services.collections.alert_actions import AlertRefused
from portal.services.collections.alerts import KIND_LABELS, SEVERITY_LABELS
from portal.staff import bp
from portal.staff.access import READ, WRITE, actor, role_required, scoped
from portal.staff.forms import ActionForm
from portal.units import commit_or_flash


@bp.get("/alerts")
@role_required(*READ)
def alerts():
    kind = request.args.get("kind", "")
    kind = kind if kind in ALERT_KINDS else ""
    today = practice_today(current_user.practice)
    count = alert_queue.count_open(current_user.practice_id, kind or None)
    pages = max(1, -(-count // alert_queue.PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    rows = alert_queue.queue(current_user.practice_id, today, kind or None, page=page)
    groups = [
        (severity, label, [row for row in rows if row.severity == severity])
        for severity, label in sorted(SEVERITY_LABELS.items(), reverse=True)
    ]
    return render_template(
        "staff/alerts.html",
        groups=[group for group in groups if group[2]],
        count=count,
        page=page,
        pages=pages,
        kind=kind,
        kinds=KIND_LABELS,
        today=today,
        action=ActionForm(),
    )


@bp.post("/alerts/act")
@role_required(*WRITE)
def alert_action():
    """One of the queue's buttons; the alert and the action come in the form."""
    if not ActionForm().validate_on_submit():
        abort(400)
    alert_id = request.form.get("alert_id", type=int)
    if alert_id is None:
        abort(404)
    alert = scoped(Alert, alert_id)
    name = request.form.get("action", "")
    who = actor(request.remote_addr)
    today = practice_today(current_user.practice)
    back = redirect(url_for("staff.alerts", kind=request.form.get("kind") or None))
    outcome = commit_or_flash(lambda: _act(alert, name, who, today), AlertRefused)
    return (outcome.value if outcome else None) or back


def _act(alert: Alert, name: str, who, today):
    """Carry out the button `name` on `alert`; a response when it leads elsewhere."""
    if name == "resend":
        delivery = alert_actions.resend_link(alert, who)
        _sent(delivery, _("Link sent to %(to)s.", to=delivery.recipient))
    elif name == "call":
        alert_actions.create_call_task(alert, who, today)
        flash(_("Call task added for today."), "info")
    elif name == "hold":
        alert_actions.put_on_hold(alert, who)
        flash(_("Reminders for this invoice are paused."), "info")
    elif name == "plan":
        delivery = alert_actions.offer_plan(alert, who, today)
        message = _(
            "Link sent to %(to)s: the patient can choose a payment plan on the bill.",
            to=delivery.recipient,
        )
        _sent(delivery, message)
    elif name == "settlement":
        alert_actions.offer_settlement(alert, who)
        return redirect(
            url_for("staff.invoice_detail", invoice_id=alert.invoice_id, _anchor="offers")
        )
    elif name == "resolve":
        alert_actions.dismiss(alert, who)
        flash(_("Alert resolved."), "info")
    else:
        abort(400)
    return None


def _sent(delivery, message: str) -> None:
    if delivery.status == DeliveryStatus.SENT:
        flash(message, "info")
    else:
        flash(_("The message could not be delivered; it will be retried."), "error")
