"""The JSON API for practice management systems, under /api/v1.

Every call but the OpenAPI document (`GET /api/v1/openapi.json`) needs an API key of the
practice in `Authorization: Bearer <key>`; every query is scoped to that key's practice, so an
object of another practice is a 404 exactly like a missing one. Changes are audited as
`Actor("system", "apikey:<id>", <client address>)`. Errors are always JSON (see errors.py);
messages from the services follow `Accept-Language` (English or Italian).
"""

from flask import Blueprint, current_app, g, request

from portal.api.errors import PREFIX, ApiError
from portal.api.parsing import MAX_BODY_BYTES
from portal.extensions import db, limiter
from portal.models.audit import ActorKind
from portal.services.core.audit import Actor
from portal.services.practice import api_keys

bp = Blueprint("api", __name__, url_prefix=PREFIX)
PUBLIC_ENDPOINTS = ("api.openapi_document",)


#: per client address; `API_RATE_LIMIT` overrides it (RATELIMIT_ENABLED=False in tests)
limiter.limit(lambda: current_app.config.get("API_RATE_LIMIT", "600 per minute"))(bp)


@bp.before_request
def authenticate():
    request.max_content_length = MAX_BODY_BYTES
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    record = None
    if scheme.lower() == "bearer" and key.strip():
        record = api_keys.authenticate(key.strip())
    if record is None:
        raise ApiError(
            401,
            "unauthorized",
            "A valid API key is required in the header Authorization: Bearer <key>.",
        )
    g.api_key_id, g.practice_id = record.id, record.practice_id
    g.actor = Actor(ActorKind.SYSTEM, f"apikey:{record.id}", request.remote_addr)
    db.session.commit()
    return None


from portal.api import (  # noqa: E402
    errors,
    fiscal_views,
    invoice_views,
    openapi,
    patient_views,
    sending_views,
)

errors.register(bp)

__all__ = ["bp", "fiscal_views", "invoice_views", "openapi", "patient_views", "sending_views"]
