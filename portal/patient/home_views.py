"""The site's root: who this site is for and where each visitor goes, in their language."""

from flask import render_template

from portal.patient import bp


@bp.get("/")
def home():
    return render_template("patient/home.html")
