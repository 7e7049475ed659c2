"""`GET /healthz` (the process answers) and `GET /readyz` (it can serve: database and, if
configured, Redis reachable; 503 otherwise), for load balancers and systemd. Never rate
limited, never cached, no session cookie."""

from flask import Blueprint, jsonify

from portal.extensions import limiter
from portal.services.core import readiness

bp = Blueprint("health", __name__)
limiter.exempt(bp)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    state = readiness.check()
    parts = {"database": "ok" if state.database else "unreachable"}
    if state.redis is not None:
        parts["redis"] = "ok" if state.redis else "unreachable"
    return jsonify(status="ok" if state.ready else "unavailable", **parts), (
        200 if state.ready else 503
    )
