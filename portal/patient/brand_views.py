"""The practice's colour and logo on the patient pages (served as files, so the CSP holds)."""

from pathlib import Path

from flask import Response, abort, current_app, request

from portal.extensions import db, limiter
from portal.models import Practice
from portal.patient import bp
from portal.services import branding


@bp.get("/brand/<int:practice_id>.css")
@limiter.exempt
def brand_css(practice_id: int):
    """Cached by the browser for an hour, then revalidated by its ETag ("private": the
    response carries the patient's refreshed session cookie, so no shared cache keeps it)."""
    practice = db.session.get(Practice, practice_id) or abort(404)
    response = Response(branding.stylesheet(practice), mimetype="text/css")
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/brand/<int:practice_id>/logo")
def brand_logo(practice_id: int):
    practice = db.session.get(Practice, practice_id) or abort(404)
    if not practice.logo_filename:
        abort(404)
    path = Path(current_app.instance_path) / "logos" / practice.logo_filename
    if not path.is_file():
        abort(404)
    mimetype = "image/png" if path.suffix == ".png" else "image/jpeg"
    response = Response(path.read_bytes(), mimetype=mimetype)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
