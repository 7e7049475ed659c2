"""POST /webhooks/sms: texts from patients (Twilio's inbound webhook), for STOP and START.

When `TWILIO_AUTH_TOKEN` is set, the `X-Twilio-Signature` header must be the base64
HMAC-SHA1, keyed with the token, of the full URL Twilio called followed by every POST
parameter's name and value sorted by name; anything else gets 403. Without a token (the
outbox, development) texts are taken unsigned. The answer is TwiML.
"""

import base64
import hashlib
import hmac
import logging
from collections.abc import Iterable
from xml.sax.saxutils import escape

from flask import Response, current_app, request

from portal.extensions import csrf, db, limiter
from portal.models.audit import ActorKind
from portal.services.collections import consent
from portal.services.core.audit import Actor
from portal.webhooks import bp

log = logging.getLogger(__name__)


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Twilio's request signature of `url` and the POST `params` (pairs; a name may repeat:
    as Twilio's own validator does, its values are sorted and duplicates dropped)."""
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    data = url + "".join(name + value for name in sorted(values) for value in sorted(values[name]))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _signed_urls() -> list[str]:
    """The URL as this server saw it, and as the public base URL names it (behind a proxy
    that does not forward the scheme and host, Twilio signed the public one)."""
    path = request.full_path.rstrip("?")
    public = current_app.config["PORTAL_BASE_URL"].rstrip("/") + path
    return list(dict.fromkeys([request.url, public]))


def _verified(auth_token: str) -> bool:
    given = request.headers.get("X-Twilio-Signature", "")
    if not given:
        return False
    params = [(name, value) for name, values in request.form.lists() for value in values]
    return any(
        hmac.compare_digest(twilio_signature(auth_token, url, params).encode(), given.encode())
        for url in _signed_urls()
    )


def _twiml(text: str | None) -> Response:
    body = f"<Message>{escape(text)}</Message>" if text else ""
    xml = f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'
    return Response(xml, mimetype="application/xml")


@bp.post("/sms")
@csrf.exempt
@limiter.exempt
def sms_inbound():
    auth_token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not auth_token and not current_app.config["OUTBOX_ENABLED"]:
        # unsigned texts are only taken where texts go to the outbox (demo, tests)
        return Response("not configured", 403, mimetype="text/plain")
    if auth_token and not _verified(auth_token):
        log.warning("inbound text with a missing or wrong Twilio signature")
        return Response("invalid signature", 403, mimetype="text/plain")
    sender = request.form.get("From", "")
    reply = consent.handle_text(
        sender, request.form.get("Body", ""), Actor(ActorKind.PATIENT, "sms", request.remote_addr)
    )
    db.session.commit()
    return _twiml(reply.text if reply else None)
