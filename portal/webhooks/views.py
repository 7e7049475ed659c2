"""POST /webhooks/stripe: verify the signature over the raw body, then apply the event once.

Answers: 200 with the result ("handled", "duplicate", "ignored"); 400 for a bad signature or
a signed body that is not a Stripe event (not JSON, an array, a string, no data.object);
503 when Stripe itself could not be asked about the event, so that Stripe sends it again.
"""

import logging

from flask import current_app, jsonify, request

from portal import gateways
from portal.extensions import csrf, db, limiter
from portal.gateways.stripe_gateway import BadPayload, BadSignature, GatewayError
from portal.services import webhooks
from portal.services.webhooks import MalformedEvent
from portal.webhooks import bp

log = logging.getLogger(__name__)


def answer(event) -> tuple:
    """Apply a verified event and answer Stripe (shared by every Stripe endpoint)."""
    try:
        result = webhooks.handle(event)
    except MalformedEvent as exc:
        log.warning("unusable Stripe event: %s", exc)
        return jsonify(error="unusable event"), 400
    except GatewayError as exc:
        db.session.rollback()
        log.warning("Stripe could not be asked about an event: %s", exc)
        return jsonify(error="try again"), 503
    return jsonify(result=result), 200


@bp.post("/stripe")
@csrf.exempt
@limiter.exempt
def stripe_event():
    request.max_content_length = current_app.config["WEBHOOK_MAX_BYTES"]  # 413 beyond it
    payload = request.get_data(cache=False)
    try:
        event = gateways.stripe().parse_event(payload, request.headers.get("Stripe-Signature"))
    except BadSignature:
        return jsonify(error="invalid signature"), 400
    except BadPayload:
        return jsonify(error="not JSON"), 400
    return answer(event)
