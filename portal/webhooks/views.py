"""POST /webhooks/stripe: verify the signature over the raw body, then apply the event once.

`/webhooks/stripe` receives the installation account's events; `/webhooks/stripe/<practice>`
those of a practice's own account, verified with that practice's webhook secret.

Answers: 200 with the result ("handled", "duplicate", "ignored"); 400 for a bad signature or
a signed body that is not a Stripe event (not JSON, an array, a string, no data.object);
503 when Stripe itself could not be asked about the event (or the practice's secrets cannot
be read), so that Stripe sends it again.
"""

import logging

from flask import abort, current_app, jsonify, request

from portal import gateways
from portal.extensions import csrf, db, limiter
from portal.gateways.stripe_gateway import (
    BadPayload,
    BadSignature,
    GatewayError,
    GatewayUnavailable,
)
from portal.models import Practice
from portal.services.payments import webhooks
from portal.services.payments.webhooks import MalformedEvent
from portal.webhooks import bp

log = logging.getLogger(__name__)


def answer(event, practice: Practice | None = None) -> tuple:
    """Apply a verified event and answer Stripe (shared by every Stripe endpoint)."""
    try:
        result = webhooks.handle(event, practice)
    except MalformedEvent as exc:
        log.warning("unusable Stripe event: %s", exc)
        return jsonify(error="unusable event"), 400
    except GatewayError as exc:
        db.session.rollback()
        log.warning("Stripe could not be asked about an event: %s", exc)
        return jsonify(error="try again"), 503
    return jsonify(result=result), 200


@bp.post("/stripe", defaults={"practice_slug": None})
@bp.post("/stripe/<practice_slug>")
@csrf.exempt
@limiter.exempt
def stripe_event(practice_slug: str | None):
    request.max_content_length = current_app.config["WEBHOOK_MAX_BYTES"]  # 413 beyond it
    practice = _own_account(practice_slug)
    payload = request.get_data(cache=False)
    try:
        signature = request.headers.get("Stripe-Signature")
        event = gateways.stripe(practice).parse_event(payload, signature)
    except BadSignature:
        return jsonify(error="invalid signature"), 400
    except GatewayUnavailable:
        return jsonify(error="secret unreadable"), 503  # Stripe retries later
    except BadPayload:
        return jsonify(error="not JSON"), 400
    return answer(event, practice)


def _own_account(slug: str | None) -> Practice | None:
    """The practice whose endpoint this is; 404 unless it has its own Stripe account."""
    if slug is None:
        return None
    practice = db.session.scalar(db.select(Practice).filter_by(slug=slug))
    if practice is None or not practice.has_own_stripe_account:
        abort(404)
    return practice
