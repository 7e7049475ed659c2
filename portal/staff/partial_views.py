"""The owner's setting for partial payments: on or off, and the smallest amount accepted."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from portal.money import format_plain, parse_amount
from portal.services.payments import partial
from portal.services.payments.partial import PartialReason, PartialRefused
from portal.staff import bp
from portal.staff.access import OWNER, actor, role_required
from portal.units import commit_or_refuse


class PartialPaymentsForm(FlaskForm):
    enabled = BooleanField(_l("Patients may pay part of the balance"))
    minimum = StringField(_l("Smallest amount accepted"))


@bp.route("/settings/partial-payments", methods=["GET", "POST"])
@role_required(*OWNER)
def partial_payment_settings():
    practice = current_user.practice
    form = PartialPaymentsForm()
    current = practice.partial_payment_minimum_minor
    if request.method == "GET":
        form.enabled.data = current is not None
        form.minimum.data = format_plain(current or 2000, practice.currency)
    status = 200
    if form.validate_on_submit():

        def save():
            minimum = None
            if form.enabled.data:
                try:
                    minimum = parse_amount(form.minimum.data or "", practice.currency)
                except ValueError as exc:
                    raise PartialRefused(
                        PartialReason.AMOUNT, _("Enter an amount like 20.00.")
                    ) from exc
            partial.save_minimum(practice, minimum, actor(request.remote_addr))

        saved = commit_or_refuse(save, PartialRefused)
        if saved:
            flash(_("Partial payment settings saved."), "info")
            return redirect(url_for("staff.partial_payment_settings"))
        form.minimum.errors = [saved.refusal.message]
        status = 422
    return render_template(
        "staff/partial_payments.html", form=form, currency=practice.currency
    ), status
