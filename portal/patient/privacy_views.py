"""The practice's privacy notice, public and linked from every patient page and message."""

from flask import abort, render_template

from portal.patient import bp
from portal.services.access import privacy


@bp.get("/privacy/<slug>")
def privacy_notice(slug: str):
    notice = privacy.notice_for(slug) or abort(404)
    return render_template("patient/privacy.html", notice=notice, practice=notice.practice)
