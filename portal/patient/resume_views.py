"""The way back in after a session ended while a payment page was open."""

from flask import abort, current_app, g, redirect, render_template, request, url_for

from portal.extensions import csrf, limiter
from portal.patient import bp
from portal.patient import session as patient_session
from portal.security import cross_origin_reason


@bp.app_context_processor
def resume_context() -> dict:
    return {"resume_token": _resume_token}


def _resume_token() -> str:
    """The session's resume note, or the mark a kept page carries in its place."""
    return g.get("resume_mark") or patient_session.resume_token()


@bp.after_request
def keep_resume_note(response):
    """With every patient page shown for a link, the browser keeps its resume note (12
    hours, this site's /pay pages only) for the "session ended" page of a later load; the
    cookie is sent when the browser does not hold the link's current note already."""
    link = g.get("link")
    link_id = link.id if link is not None else g.get("kept_page_link_id")
    if link_id is not None and response.status_code == 200 and response.mimetype == "text/html":
        note = patient_session.resume_token(link_id)
        if request.cookies.get(patient_session.RESUME_COOKIE) == note:
            return response
        response.set_cookie(
            patient_session.RESUME_COOKIE,
            note,
            max_age=patient_session.RESUME_MAX_AGE,
            path="/pay",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


@bp.post("/pay/resume")
@csrf.exempt  # the session, and its CSRF secret, are what ended; the token is signed
@limiter.limit("20 per minute")
def resume():
    """Start a new session for the link the page was opened with; the date of birth is asked
    again. A forged, stale or dead token gets the "session ended" page."""
    if cross_origin_reason():  # exempt from the token check, not from the same-site one
        abort(400)
    link = patient_session.link_to_resume(request.form.get("resume", ""))
    if link is None:
        return render_template("patient/session_ended.html"), 401
    patient_session.start(link)
    return redirect(url_for("patient.verify"))
