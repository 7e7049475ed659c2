"""Staff sign-in and sign-out, the second factor at sign-in, and password reset."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal import clock
from portal.extensions import db, limiter
from portal.models import StaffUser
from portal.models.audit import ActorKind
from portal.redirects import safe_next
from portal.services.access import second_factor
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.messaging import staff as staff_messages
from portal.services.practice import staff_auth
from portal.staff import bp
from portal.staff.access import stamp_session
from portal.staff.forms import CodeForm, LoginForm, NewPasswordForm, ResetRequestForm

PENDING = "staff_pending_2fa"
#: how long the code step may follow the password step
PENDING_FOR = 600
#: kept when a sign-in starts a fresh session
KEPT = ("lang", "csrf_token")


def locked_message() -> str:
    return _(
        "This account is locked after too many wrong attempts. Please try again in 15 "
        "minutes, or ask an owner of your practice to unlock it."
    )


def _actor(user: StaffUser) -> Actor:
    return Actor(ActorKind.STAFF, str(user.id), request.remote_addr)


def _fresh_session(**values) -> None:
    kept = {key: session[key] for key in KEPT if key in session}
    session.clear()
    session.update(kept, **values)


def _finish_login(user: StaffUser):
    target = safe_next(request.args.get("next"), url_for("staff.dashboard"), prefix="/staff/")
    _fresh_session()
    login_user(user)
    session.permanent = True
    stamp_session(user)
    audit.record("staff.signed_in", practice_id=user.practice_id, actor=_actor(user))
    db.session.commit()
    return redirect(target)


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
            _fresh_session(
                **{
                    PENDING: {
                        "id": user.id,
                        "sv": user.session_version,
                        "at": int(clock.timestamp()),
                    }
                }
            )
            return redirect(url_for("staff.login_code", next=request.args.get("next")))
        if result == "ok":
            return _finish_login(user)
        if result == "locked":
            error, status = locked_message(), 429
        else:
            error, status = _("The email or the password is wrong."), 401
    return render_template("staff/login.html", form=form, error=error), status


def _pending_user() -> StaffUser | None:
    """The user who gave the right password in this session a few minutes ago."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or clock.timestamp() - pending.get("at", 0) > PENDING_FOR:
        return None
    user = db.session.get(StaffUser, pending.get("id"))
    if user is None or not user.active or user.session_version != pending.get("sv"):
        return None
    return user if user.totp_secret else None


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def login_code():
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        return redirect(url_for("staff.login"))
    form = CodeForm()
    error, status = None, 200
    if second_factor.is_locked(user):
        error, status = locked_message(), 429
    elif form.validate_on_submit():
        result = second_factor.verify(user, form.code.data, _actor(user))
        db.session.commit()
        if result == "ok":
            return _finish_login(user)
        if result == "locked":
            session.pop(PENDING, None)
            error, status = _("Too many wrong codes.") + " " + locked_message(), 429
        else:
            error, status = _("The code is wrong or has expired."), 401
    return render_template("staff/login_code.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    """Signing out ends every copy of the session, wherever it was copied to."""
    user = current_user._get_current_object()
    staff_auth.end_sessions(user)
    audit.record("staff.signed_out", practice_id=user.practice_id, actor=_actor(user))
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_request():
    """The same work for every address asked about, known or not: a token is made and the
    email rendered either way, and sending happens after the answer."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(db.select(StaffUser).filter_by(email=email, active=True))
        token = staff_auth.reset_token(user, current_app.config["SECRET_KEY"])
        base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
        url = base + url_for("staff.reset_password", token=token)
        locale = user.locale if user else current_app.config["BABEL_DEFAULT_LOCALE"]
        staff_messages.send_password_reset(user, email, url, locale)
        if user is not None:
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
        audit.record("staff.password_reset", practice_id=user.practice_id, actor=_actor(user))
        db.session.commit()
        flash(_("Your password has been changed. Please sign in."), "info")
        return redirect(url_for("staff.login"))
    return render_template("staff/reset_password.html", form=form)
