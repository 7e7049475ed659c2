"""Staff sign-in and sign-out, the second factor, and password reset."""

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal import gateways
from portal.extensions import db, limiter
from portal.models import StaffUser
from portal.services import audit, notifications, sending, staff_auth
from portal.services.audit import Actor
from portal.staff import bp
from portal.staff.forms import ActionForm, CodeForm, LoginForm, NewPasswordForm, ResetRequestForm

PENDING = "staff_pending_2fa"


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/staff") and not target.startswith("//"):
        return target
    return url_for("staff.dashboard")


def _finish_login(user: StaffUser):
    session.pop(PENDING, None)
    login_user(user)
    session.permanent = True
    audit.record(
        "staff.signed_in",
        practice_id=user.practice_id,
        actor=Actor("staff", str(user.id), request.remote_addr),
    )
    db.session.commit()
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.dashboard"))
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        result, user = staff_auth.authenticate(
            form.email.data, form.password.data, ip_address=request.remote_addr or "unknown"
        )
        db.session.commit()
        if result == "ok" and user.totp_secret:
            session[PENDING] = {"id": user.id, "tries": 0}
            return redirect(url_for("staff.login_code", next=request.args.get("next")))
        if result == "ok":
            return _finish_login(user)
        if result == "locked":
            error, status = _("Too many attempts. Please try again in 15 minutes."), 429
        else:
            error, status = _("The email or the password is wrong."), 401
    return render_template("staff/login.html", form=form, error=error), status


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    pending = session.get(PENDING)
    user = db.session.get(StaffUser, pending["id"]) if pending else None
    if user is None or not user.totp_secret:
        return redirect(url_for("staff.login"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        if staff_auth.verify_totp(user.totp_secret, form.code.data):
            return _finish_login(user)
        pending["tries"] += 1
        session[PENDING] = pending
        if pending["tries"] >= 5:
            session.pop(PENDING)
            flash(_("Too many wrong codes. Please sign in again."), "error")
            return redirect(url_for("staff.login"))
        error = _("The code is wrong or has expired.")
    return render_template("staff/login_code.html", form=form, error=error), 401 if error else 200


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(db.select(StaffUser).filter_by(email=email, active=True))
        if user is not None:
            token = staff_auth.reset_token(user, current_app.config["SECRET_KEY"])
            url = url_for("staff.reset_password", token=token, _external=False)
            base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
            subject, text, html = notifications.render_email(
                "password_reset", user.locale, user=user, url=base + url
            )
            message = notifications.build_message(user.practice, user.email, subject, text, html)
            try:
                gateways.mailer().send(message)
            except OSError:
                current_app.logger.warning("password reset email to staff %s failed", user.id)
            db.session.commit()
        flash(_("If this address belongs to an account, we have sent it a link."), "info")
        return redirect(url_for("staff.login"))
    return render_template("staff/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    expired, invalid, user = staff_auth.read_reset_token(token, current_app.config["SECRET_KEY"])
    if expired or invalid:
        return render_template("staff/reset_invalid.html", expired=expired), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        staff_auth.set_password(user, form.password.data)
        audit.record(
            "staff.password_reset",
            practice_id=user.practice_id,
            actor=Actor("staff", str(user.id), request.remote_addr),
        )
        db.session.commit()
        flash(_("Your password has been changed. Please sign in."), "info")
        return redirect(url_for("staff.login"))
    return render_template("staff/reset_password.html", form=form)


@bp.route("/account/security", methods=["GET", "POST"])
@login_required
def security():
    form, action = CodeForm(), ActionForm(prefix="off")
    secret = session.get("staff_new_totp") or staff_auth.new_totp_secret()
    session["staff_new_totp"] = secret
    error = None
    if request.method == "POST" and request.form.get("action") == "disable":
        if not action.validate_on_submit():
            abort(400)
        current_user.totp_secret = None
        db.session.commit()
        flash(_("Two-step sign-in is off."), "info")
        return redirect(url_for("staff.security"))
    if form.validate_on_submit():
        if staff_auth.verify_totp(secret, form.code.data):
            current_user.totp_secret = secret
            session.pop("staff_new_totp", None)
            db.session.commit()
            flash(_("Two-step sign-in is on."), "info")
            return redirect(url_for("staff.security"))
        error = _("The code is wrong or has expired.")
    uri = staff_auth.totp_uri(current_user, secret)
    return render_template(
        "staff/security.html",
        form=form,
        action=action,
        secret=secret,
        qr=sending.qr_svg(uri),
        error=error,
    )
