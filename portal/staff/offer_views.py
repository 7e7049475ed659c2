"""Incentives on the practice's side: settlement offers on an invoice (list, make, withdraw)
and the owner's early-payment discount and deposit settings."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from portal.clock import practice_today
from portal.models import Invoice, SettlementOffer
from portal.money import format_plain, parse_amount
from portal.services.incentives import discounts, rules, settlements
from portal.services.incentives.rules import IncentiveRefused
from portal.services.plans import plans, tila
from portal.staff import bp
from portal.staff.access import OWNER, WRITE, actor, role_required, scoped
from portal.staff.forms import ActionForm
from portal.units import commit_or_flash, commit_or_refuse

EXAMPLE_BALANCE_MINOR = 100_000  # the worked example on the settings page: 1,000.00


class OfferForm(FlaskForm):
    amount = StringField(_l("Settlement amount"))
    expires_on = StringField(_l("Offer valid until"))


class DiscountForm(FlaskForm):
    enabled = BooleanField(_l("Offer an early-payment discount"))
    percent = StringField(_l("Discount (%)"))
    within_days = StringField(_l("Paid in full within (days of the issue date)"))
    deposit_threshold = StringField(_l("Deposit required for plans on balances from"))
    deposit_percent = StringField(_l("Minimum deposit (%)"))


def _back(invoice: Invoice):
    return redirect(url_for("staff.invoice_detail", invoice_id=invoice.id) + "#offers-title")


@bp.post("/invoices/<int:invoice_id>/offers")
@role_required(*WRITE)
def offer_create(invoice_id: int):
    invoice = scoped(Invoice, invoice_id)
    form = OfferForm()
    if not form.validate_on_submit():
        abort(400)
    made = commit_or_flash(
        lambda: settlements.offer_settlement(
            invoice,
            _amount(form.amount.data),
            _day(form.expires_on.data),
            actor(request.remote_addr),
            practice_today(current_user.practice),
        ),
        IncentiveRefused,
    )
    if made:
        flash(_("Settlement offer made. The patient sees it on the bill."), "info")
    return _back(invoice)


def _amount(text: str | None) -> int:
    text = (text or "").strip()
    if text.startswith("-"):
        raise IncentiveRefused(_("Enter an amount greater than zero."))
    try:
        return parse_amount(text, current_user.practice.currency)
    except ValueError as exc:
        raise IncentiveRefused(_("Enter an amount like 120.50.")) from exc


def _day(text: str | None) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError as exc:
        raise IncentiveRefused(_("Enter the date until which the offer is valid.")) from exc


@bp.post("/invoices/<int:invoice_id>/offers/<int:offer_id>/withdraw")
@role_required(*WRITE)
def offer_withdraw(invoice_id: int, offer_id: int):
    invoice = scoped(Invoice, invoice_id)
    offer = scoped(SettlementOffer, offer_id)
    if offer.invoice_id != invoice.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if commit_or_flash(
        lambda: settlements.withdraw(offer, actor(request.remote_addr)), IncentiveRefused
    ):
        flash(_("Settlement offer withdrawn."), "info")
    return _back(invoice)


@bp.route("/settings/discounts", methods=["GET", "POST"])
@role_required(*OWNER)
def discount_settings():
    practice = current_user.practice
    policy = discounts.discount_policy(practice.id)
    form = DiscountForm()
    if request.method == "GET":
        form.enabled.data = policy.enabled if policy else False
        form.percent.data = str(policy.percent if policy else 5)
        form.within_days.data = str(policy.within_days if policy else 10)
        if policy and policy.deposit_threshold_minor is not None:
            form.deposit_threshold.data = format_plain(
                policy.deposit_threshold_minor, practice.currency
            )
            form.deposit_percent.data = str(policy.deposit_percent)
    status = 200
    if form.validate_on_submit():
        threshold_text = (form.deposit_threshold.data or "").strip()
        saved = commit_or_refuse(
            lambda: discounts.save_policy(
                practice.id,
                enabled=form.enabled.data,
                percent=_whole(form.percent.data),
                within_days=_whole(form.within_days.data),
                deposit_threshold_minor=_amount(threshold_text) if threshold_text else None,
                deposit_percent=_whole(form.deposit_percent.data),
                actor=actor(request.remote_addr),
            ),
            IncentiveRefused,
        )
        if saved:
            flash(_("Discount settings saved."), "info")
            return redirect(url_for("staff.discount_settings"))
        form.form_errors.append(saved.message)
        status = 422
    elif request.method == "POST":
        abort(400)
    policy = discounts.discount_policy(practice.id)
    example = None
    high_apr = None
    if policy is not None and policy.enabled:
        off = rules.discount_minor(EXAMPLE_BALANCE_MINOR, policy.percent)
        rates = plans.aprs_with_discount(
            practice.id, EXAMPLE_BALANCE_MINOR, off, practice_today(current_user.practice)
        )
        high_apr = tila.high_apr_warning([rate for _, rate in rates])
        example = {
            "balance": EXAMPLE_BALANCE_MINOR,
            "discount": off,
            "pay": EXAMPLE_BALANCE_MINOR - off,
            "days": policy.within_days,
        }
    deposit = None
    if policy is not None and policy.deposit_threshold_minor is not None:
        deposit = {
            "threshold": policy.deposit_threshold_minor,
            "percent": policy.deposit_percent,
            "down": discounts.minimum_deposit(practice.id, policy.deposit_threshold_minor),
        }
    return render_template(
        "staff/discounts.html",
        form=form,
        policy=policy,
        example=example,
        high_apr=high_apr,
        deposit=deposit,
        currency=practice.currency,
    ), status


def _whole(text: str | None) -> int | None:
    """A whole number typed in a form; None when empty, -1 (refused later) when not a number."""
    text = (text or "").strip()
    if not text:
        return None
    return int(text) if text.isdigit() else -1
