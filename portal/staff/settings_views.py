"""Owner settings: the practice's profile and colour, staff accounts, API keys."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.models import ApiKey, StaffUser
from portal.services.core import audit
from portal.services.practice import api_keys, branding, staff_auth, staff_roster
from portal.services.practice.branding import BrandingRefused
from portal.services.practice.staff_auth import InvalidStaff
from portal.staff import bp
from portal.staff.access import OWNER, actor, role_required, scoped
from portal.staff.forms import ActionForm, ApiKeyForm, PracticeForm, StaffForm
from portal.units import commit_or_refuse


@bp.route("/settings", methods=["GET", "POST"])
@role_required(*OWNER)
def settings():
    practice = current_user.practice
    form = PracticeForm(obj=practice)
    if form.validate_on_submit():

        def save():
            colour = branding.check_colour(form.brand_colour.data)
            logo = request.files.get("logo")
            if logo and logo.filename:
                practice.logo_filename = branding.save_logo(practice, logo.read())
            form.populate_obj(practice)
            practice.brand_colour = colour
            practice.message_note_en = (form.message_note_en.data or "").strip() or None
            practice.message_note_it = (form.message_note_it.data or "").strip() or None
            audit.record(
                "practice.updated", practice_id=practice.id, actor=actor(request.remote_addr)
            )

        saved = commit_or_refuse(save, BrandingRefused)
        if saved:
            flash(_("Settings saved."), "info")
            return redirect(url_for("staff.settings"))
        form.brand_colour.errors.append(saved.message)
    return render_template("staff/settings.html", form=form)


@bp.route("/users", methods=["GET", "POST"])
@role_required(*OWNER)
def users():
    form = StaffForm()
    if form.validate_on_submit():

        def create():
            user = staff_auth.create_staff(
                current_user.practice,
                form.email.data,
                form.name.data,
                form.password.data,
                form.role.data,
                form.locale.data,
            )
            audit.record(
                "staff.created",
                practice_id=current_user.practice_id,
                actor=actor(request.remote_addr),
                staff_id=user.id,
                role=user.role,
            )

        created = commit_or_refuse(create, InvalidStaff)
        if created:
            flash(_("Staff account created."), "info")
            return redirect(url_for("staff.users"))
        form.form_errors.append(created.message)
    return render_template(
        "staff/users.html",
        form=form,
        action=ActionForm(),
        roster=staff_roster.build(current_user.practice_id),
    )


@bp.post("/users/<int:user_id>/deactivate")
@role_required(*OWNER)
def user_deactivate(user_id: int):
    user = scoped(StaffUser, user_id)
    if not ActionForm().validate_on_submit() or user.id == current_user.id:
        abort(400)
    user.active = False
    audit.record(
        "staff.deactivated",
        practice_id=user.practice_id,
        actor=actor(request.remote_addr),
        staff_id=user.id,
    )
    db.session.commit()
    return redirect(url_for("staff.users"))


@bp.route("/api-keys", methods=["GET", "POST"])
@role_required(*OWNER)
def keys():
    form = ApiKeyForm()
    new_key = None
    if form.validate_on_submit():
        record, new_key = api_keys.create(current_user.practice, form.name.data)
        audit.record(
            "apikey.created",
            practice_id=current_user.practice_id,
            actor=actor(request.remote_addr),
            key_id=record.id,
        )
        db.session.commit()
    query = db.select(ApiKey).filter_by(practice_id=current_user.practice_id)
    return render_template(
        "staff/api_keys.html",
        form=form,
        action=ActionForm(),
        new_key=new_key,
        keys=db.session.scalars(query.order_by(ApiKey.id.desc())).all(),
    )


@bp.post("/api-keys/<int:key_id>/revoke")
@role_required(*OWNER)
def key_revoke(key_id: int):
    record = scoped(ApiKey, key_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    api_keys.revoke(record)
    audit.record(
        "apikey.revoked",
        practice_id=record.practice_id,
        actor=actor(request.remote_addr),
        key_id=record.id,
    )
    db.session.commit()
    return redirect(url_for("staff.keys"))
