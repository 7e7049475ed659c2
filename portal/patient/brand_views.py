"""The practice's colour and logo on the patient pages, served as our own files so the CSP
holds; the logo comes from the database with an ETag."""

from flask import Response, abort, request

from portal.extensions import db, limiter
from portal.models import Practice
from portal.patient import bp
from portal.services.practice import branding


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
    logo = branding.logo(practice_id) or abort(404)
    response = Response(logo.data, mimetype=logo.content_type)
    response.set_etag(logo.sha256)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response.make_conditional(request)
