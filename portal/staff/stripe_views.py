"""Owner settings: the practice's own Stripe account and its statement descriptor."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.gateways.encryption import SecretsUnavailable
from portal.services.payments import stripe_accounts
from portal.services.payments.stripe_accounts import AccountRefused
from portal.staff import bp
from portal.staff.access import OWNER, actor, role_required
from portal.staff.forms import ActionForm
from portal.staff.stripe_forms import DescriptorForm, StripeAccountForm
from portal.units import commit_or_refuse


def _page(account_form: StripeAccountForm, descriptor_form: DescriptorForm, status: int = 200):
    practice = current_user.practice
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    return render_template(
        "staff/stripe.html",
        form=account_form,
        descriptor=descriptor_form,
        action=ActionForm(),
        account=stripe_accounts.summary(practice),
        suffix=stripe_accounts.descriptor_suffix(practice),
        holder=stripe_accounts.account_holder(practice),
        webhook_url=f"{base}{url_for('webhooks.stripe_event', practice_slug=practice.slug)}",
        api_base_allowed=current_app.config["STRIPE_PRACTICE_API_BASE"],
    ), status


def _account_form(submitted: bool) -> StripeAccountForm:
    practice = current_user.practice
    return StripeAccountForm(
        **({} if submitted else {"formdata": None}),
        publishable_key=practice.stripe_publishable_key,
        api_base=practice.stripe_api_base,
    )


def _descriptor_form(submitted: bool) -> DescriptorForm:
    practice = current_user.practice
    return DescriptorForm(
        **({} if submitted else {"formdata": None}),
        statement_descriptor_prefix=practice.statement_descriptor_prefix,
        statement_descriptor_suffix=practice.statement_descriptor_suffix,
    )


@bp.route("/stripe", methods=["GET", "POST"])
@role_required(*OWNER)
def stripe_account():
    form = _account_form(submitted=request.method == "POST")
    if form.validate_on_submit():
        try:
            saved = commit_or_refuse(
                lambda: stripe_accounts.set_credentials(
                    current_user.practice,
                    actor(request.remote_addr),
                    publishable_key=form.publishable_key.data or "",
                    secret_key=form.secret_key.data or "",
                    webhook_secret=form.webhook_secret.data or "",
                    api_base=form.api_base.data or "",
                ),
                AccountRefused,
            )
        except SecretsUnavailable:
            form.secret_key.errors.append(
                _("The secrets cannot be stored or read: check the installation's encryption key.")
            )
        else:
            if saved:
                flash(_("Stripe account saved."), "info")
                return redirect(url_for("staff.stripe_account"))
            getattr(form, saved.refusal.field).errors.append(saved.message)
    return _page(form, _descriptor_form(False), 422 if request.method == "POST" else 200)


@bp.post("/stripe/descriptor")
@role_required(*OWNER)
def stripe_descriptor():
    form = _descriptor_form(submitted=True)
    if form.validate_on_submit():
        saved = commit_or_refuse(
            lambda: stripe_accounts.set_descriptor(
                current_user.practice,
                form.statement_descriptor_prefix.data or "",
                form.statement_descriptor_suffix.data or "",
                actor(request.remote_addr),
            ),
            AccountRefused,
        )
        if saved:
            flash(_("Statement descriptor saved."), "info")
            return redirect(url_for("staff.stripe_account"))
        getattr(form, saved.refusal.field).errors.append(saved.message)
    return _page(_account_form(False), form, 422)


@bp.post("/stripe/clear")
@role_required(*OWNER)
def stripe_clear():
    if not ActionForm().validate_on_submit():
        abort(400)
    stripe_accounts.clear_credentials(current_user.practice, actor(request.remote_addr))
    db.session.commit()
    flash(_("Payments now go to the installation's Stripe account."), "info")
    return redirect(url_for("staff.stripe_account"))
