"""An owner's actions on a colleague's access: unlock a locked account, sign it out
everywhere."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import StaffUser
from portal.services.practice import staff_auth
from portal.staff import bp
from portal.staff.access import OWNER, actor, role_required, scoped
from portal.staff.forms import ActionForm


@bp.post("/users/<int:user_id>/unlock")
@role_required(*OWNER)
def user_unlock(user_id: int):
    user = scoped(StaffUser, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    staff_auth.unlock(user, actor(request.remote_addr))
    db.session.commit()
    flash(_("%(name)s can sign in again.", name=user.name), "info")
    return redirect(url_for("staff.users"))


@bp.post("/users/<int:user_id>/sign-out")
@role_required(*OWNER)
def user_sign_out(user_id: int):
    user = scoped(StaffUser, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    staff_auth.sign_out_everywhere(user, actor(request.remote_addr))
    db.session.commit()
    flash(_("%(name)s is signed out everywhere.", name=user.name), "info")
    return redirect(url_for("staff.users"))
