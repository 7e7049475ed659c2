"""Opening a link, proving identity, reading the invoice, choosing the language."""

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from portal.clock import patient_today
from portal.extensions import db, limiter
from portal.models.audit import ActorKind
from portal.models.invoice import InvoiceStatus
from portal.patient import bill_cache, bp
from portal.patient import limits as patient_limits
from portal.patient import session as patient_session
from portal.patient.bill_render import render_bill
from portal.patient.forms import DateOfBirthForm, LinkRequestForm
from portal.redirects import safe_next
from portal.services.access import links, verification
from portal.services.billing import bill_page
from portal.services.core.audit import Actor

STATE_STATUS = {"unknown": 404, "expired": 410, "revoked": 410}


@bp.get("/p/<token>")
@limiter.limit("30 per minute")
def open_link(token: str):
    lookup = links.resolve(token)
    if not lookup.ok:
        practice = lookup.link.invoice.practice if lookup.link else None
        if practice is not None:
            g.practice_locale, g.patient_locale = practice.default_locale, None
        page = render_template(
            "patient/link_state.html",
            state=lookup.state,
            practice=practice,
            token=token,
            request_form=LinkRequestForm(),
        )
        return page, STATE_STATUS[lookup.state]
    link = lookup.link
    patient_session.start(link, request.args.get("to"))
    links.mark_opened(link, Actor(ActorKind.PATIENT, f"link:{link.id}", request.remote_addr))
    db.session.commit()
    return redirect(url_for("patient.verify"))


@bp.route("/pay/verify", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@patient_session.link_required(verified=False)
def verify():
    if patient_session.is_verified():
        return redirect(patient_session.landing_url())
    if g.link.locked_at is not None:
        return render_template("patient/locked.html", practice=g.practice), 429
    form = DateOfBirthForm(today=patient_today(g.invoice.patient))
    policy = verification.configured_policy()
    error = None
    if form.validate_on_submit():
        result = verification.check_date_of_birth(
            g.link, form.value, ip_address=request.remote_addr or "unknown", policy=policy
        )
        db.session.commit()
        if result == "ok":
            target = patient_session.landing_url()
            patient_session.mark_verified(g.link)
            return redirect(target)
        if result == "locked":
            return render_template("patient/locked.html", practice=g.practice), 429
        error = _("These details do not match our records. Please check them and try again.")
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "patient/verify.html",
            form=form,
            error=error,
            paid=g.invoice.status == InvoiceStatus.PAID,
            month_first=g.practice.country == "US",
        ),
        status,
    )


@bp.get("/pay")
@patient_limits.default_unless_verified
def invoice():
    state = bill_cache.current_state()
    response = bill_cache.serve(state, _render_bill) if state is not None else None
    return response if response is not None else _bill()


@patient_session.link_required(options=bill_page.LINK_OPTIONS)
def _bill():
    return render_bill(bill_page.build(g.invoice))


def _render_bill(state) -> str | None:
    """The bill of a verified session's `state` (None when its link is gone meanwhile)."""
    if patient_session.load_link(bill_page.LINK_OPTIONS) is None:
        return None
    return render_bill(bill_page.build(g.invoice, sums=state.sums))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("patient.verify")))
