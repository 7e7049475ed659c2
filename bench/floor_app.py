"""The portal with one more route, the floor of this stack: `GET /bench/floor` renders the
base template for a verified patient session and touches no database, so everything the
bill costs above it is the bill's own work.

Served as `gunicorn -c config/gunicorn.conf.py 'bench.floor_app:create()'`.
"""

from flask import Flask, render_template

from portal import create_app
from portal.patient import limits as patient_limits
from portal.patient import session as patient_session

#: the default rate limit (300/min per address) raised so the load test is not all 429s
UNLIMITED = {"RATELIMIT_DEFAULT": "100000000 per minute"}
#: an unchanged session cookie is not sent again once it is a minute old: a browser would keep
#: the renewed cookie and get the next one a minute later, but the load generator keeps none,
#: so every answer after that minute would carry (and sign) a new one
KEPT_COOKIE = {"SESSION_REFRESH_EACH_REQUEST": False}


def create(keep_rate_limit: bool = False, config: dict | None = None) -> Flask:
    limits = {} if keep_rate_limit else UNLIMITED
    app = create_app({**KEPT_COOKIE, **limits, **(config or {})})

    @app.get("/bench/floor")
    @patient_limits.default_unless_verified
    def floor():
        if not patient_session.is_verified():
            return "verify first", 401
        return render_template("base.html")

    return app
