"""POST /webhooks/stripe: verify the signature over the raw body, then apply the event once."""

import logging

from flask import current_app, jsonify, request

from portal import gateways
from portal.extensions import csrf, limiter
from portal.gateways.stripe_gateway import BadSignature
from portal.services import webhooks
from portal.webhooks import bp

log = logging.getLogger(__name__)


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
    try:
        result = webhooks.handle(event)
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("unusable Stripe event: %s", exc)
        return jsonify(error="unusable event"), 400
    return jsonify(result=result), 200
