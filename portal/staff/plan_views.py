"""Plans seen by staff: the practice's plan policy, and checking a signed agreement."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.downloads import content_disposition
from portal.extensions import db
from portal.models import Plan, PlanPolicy
from portal.money import format_plain, parse_amount
from portal.services.core import audit
from portal.services.plans import agreements
from portal.staff import bp
from portal.staff.access import OWNER, READ, actor, role_required, scoped
from portal.staff.forms import PlanPolicyForm


@bp.route("/settings/plans", methods=["GET", "POST"])
@role_required(*OWNER)
def plan_policy():
    practice = current_user.practice
    policy = db.session.scalar(db.select(PlanPolicy).filter_by(practice_id=practice.id))
    form = PlanPolicyForm()
    if request.method == "GET" and policy is not None:
        form.enabled.data = policy.enabled
        form.allowed_counts.data = policy.allowed_counts
        form.min_down_percent.data = policy.min_down_percent
        form.min_down.data = format_plain(policy.min_down_minor, practice.currency)
        form.min_installment.data = format_plain(policy.min_installment_minor, practice.currency)
        form.min_balance.data = format_plain(policy.min_balance_minor, practice.currency)
        form.day_of_month.data = policy.day_of_month
        form.retry_days.data = policy.retry_days
    if form.validate_on_submit():
        try:
            amounts = [
                parse_amount(field.data or "0", practice.currency)
                for field in (form.min_down, form.min_installment, form.min_balance)
            ]
        except ValueError:
            form.form_errors.append(_("Enter amounts like 120.50."))
        else:
            policy = policy or PlanPolicy(practice_id=practice.id)
            policy.enabled = form.enabled.data
            policy.allowed_counts = ",".join(str(n) for n in form.counts)
            policy.min_down_percent = form.min_down_percent.data
            policy.min_down_minor, policy.min_installment_minor, policy.min_balance_minor = amounts
            policy.day_of_month = form.day_of_month.data or None
            policy.retry_days = ",".join(str(n) for n in form.retries)
            db.session.add(policy)
            audit.record(
                "plan_policy.updated", practice_id=practice.id, actor=actor(request.remote_addr)
            )
            db.session.commit()
            flash(_("Plan policy saved."), "info")
            return redirect(url_for("staff.plan_policy"))
    return render_template("staff/plan_policy.html", form=form)


@bp.get("/plans/<int:plan_id>/agreement.pdf")
@role_required(*READ)
def plan_agreement(plan_id: int):
    plan = scoped(Plan, plan_id)
    if not plan.agreement_pdf:
        abort(404)
    return Response(
        plan.agreement_pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": content_disposition(agreements.filename(plan))},
    )


@bp.get("/plans/<int:plan_id>/check")
@role_required(*READ)
def plan_check(plan_id: int):
    plan = scoped(Plan, plan_id)
    return render_template("staff/plan_check.html", plan=plan, check=agreements.check(plan))
