"""A staff member's own security: the second factor, recovery codes, password, email, and
signing out everywhere. Each change asks for the password and a current code, and ends the
user's other sessions."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from portal.extensions import db
from portal.gateways import qr
from portal.services.access import second_factor
from portal.services.core import audit
from portal.services.practice import staff_auth
from portal.services.practice.staff_auth import InvalidStaff
from portal.staff import bp
from portal.staff.access import actor, stamp_session
from portal.staff.account_forms import (
    EmailChangeForm,
    PasswordChangeForm,
    RecoveryCodesForm,
    TurnOffForm,
)
from portal.staff.auth_views import locked_message
from portal.staff.forms import ActionForm, CodeForm

#: session key of the secret being set up, until a code confirms it
SETUP_KEY = "staff_new_totp"


def _page(status: int = 200, codes: list[str] | None = None, **forms):
    user = current_user
    secret = None if user.totp_secret else session.setdefault(SETUP_KEY, second_factor.new_secret())
    context = dict(
        form=CodeForm(),
        off_form=TurnOffForm(),
        codes_form=RecoveryCodesForm(),
        password_form=PasswordChangeForm(),
        email_form=EmailChangeForm(),
        action=ActionForm(),
        secret=secret,
        qr=qr.svg(second_factor.setup_uri(user, secret)) if secret else None,
        codes=codes,
        unused_codes=second_factor.unused_recovery_codes(user) if user.totp_secret else 0,
    )
    context.update(forms)
    return render_template("staff/security.html", **context), status


def _confirmed(form) -> bool:
    """The form is valid and carries the password and a current code; else an error on it."""
    if not form.validate_on_submit():
        return False
    result = second_factor.confirm(
        current_user, form.current.data, form.code.data or "", actor(request.remote_addr)
    )
    db.session.commit()
    if result == "ok":
        return True
    if result == "locked":
        form.form_errors.append(locked_message())
    else:
        form.form_errors.append(_("The password or the code is wrong."))
    return False


def _changed(action: str, message: str, **data):
    """Record the change, end the other sessions, keep this one."""
    staff_auth.end_sessions(current_user)
    audit.record(
        action, practice_id=current_user.practice_id, actor=actor(request.remote_addr), **data
    )
    db.session.commit()
    stamp_session(current_user)
    flash(message, "info")
    return redirect(url_for("staff.security"))


@bp.route("/account/security", methods=["GET", "POST"])
@login_required
def security():
    form = CodeForm()
    if current_user.totp_secret or not form.validate_on_submit():
        return _page(form=form)
    codes = second_factor.enable(
        current_user, session[SETUP_KEY], form.code.data, actor(request.remote_addr)
    )
    if codes is None:
        form.code.errors.append(_("The code is wrong or has expired."))
        return _page(422, form=form)
    session.pop(SETUP_KEY, None)
    db.session.commit()
    stamp_session(current_user)
    flash(_("Two-step sign-in is on."), "info")
    return _page(codes=codes)


@bp.post("/account/security/off")
@login_required
def security_off():
    form = TurnOffForm()
    if not current_user.totp_secret:
        return redirect(url_for("staff.security"))
    if not _confirmed(form):
        return _page(422, off_form=form)
    second_factor.disable(current_user, actor(request.remote_addr))
    db.session.commit()
    stamp_session(current_user)
    flash(_("Two-step sign-in is off."), "info")
    return redirect(url_for("staff.security"))


@bp.post("/account/security/recovery-codes")
@login_required
def recovery_codes():
    form = RecoveryCodesForm()
    if not current_user.totp_secret:
        return redirect(url_for("staff.security"))
    if not _confirmed(form):
        return _page(422, codes_form=form)
    codes = second_factor.new_recovery_codes(current_user)
    audit.record(
        "staff.recovery_codes_renewed",
        practice_id=current_user.practice_id,
        actor=actor(request.remote_addr),
    )
    db.session.commit()
    return _page(codes=codes)


@bp.post("/account/password")
@login_required
def password_change():
    form = PasswordChangeForm()
    if not _confirmed(form):
        return _page(422, password_form=form)
    staff_auth.set_password(current_user, form.password.data)
    return _changed("staff.password_changed", _("Your password has been changed."))


@bp.post("/account/email")
@login_required
def email_change():
    form = EmailChangeForm()
    if not _confirmed(form):
        return _page(422, email_form=form)
    try:
        email = staff_auth.check_email(form.email.data, current_user)
    except InvalidStaff:
        form.email.errors.append(_("Another account uses this email."))
        return _page(422, email_form=form)
    old, current_user.email = current_user.email, email
    return _changed("staff.email_changed", _("Your email has been changed."), old=old, new=email)


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if not ActionForm().validate_on_submit():
        return _page(400)
    staff_auth.sign_out_everywhere(current_user, actor(request.remote_addr))
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"))
