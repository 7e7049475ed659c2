"""Payment links: a fresh link for the practice to deliver itself, or one sent by email or text.

Either way the invoice's earlier links are revoked, so only the newest one works.
"""

from flask import g
from flask_babel import lazy_gettext as _l

from portal.api import bp
from portal.api.access import scoped
from portal.api.errors import ApiError
from portal.api.idempotency import mutation
from portal.api.parsing import Fields, json_body
from portal.api.serializers import delivery as delivery_json
from portal.api.serializers import link as link_json
from portal.models import Invoice
from portal.models.invoice import InvoiceStatus
from portal.services import messaging
from portal.services.messaging import CHANNELS, CannotSend


def _sendable(invoice_id: int) -> Invoice:
    invoice = scoped(Invoice, invoice_id, "invoice")
    if invoice.status != InvoiceStatus.OPEN:
        raise ApiError(409, "invalid_state", _l("Only issued, unpaid invoices can be sent."))
    return invoice


@bp.post("/invoices/<int:invoice_id>/links")
@mutation(redact=("url",))
def create_link(invoice_id: int):
    json_body(optional=True)
    invoice = _sendable(invoice_id)
    link, url = messaging.new_link(invoice, g.actor)
    return link_json(link, url), 201


@bp.post("/invoices/<int:invoice_id>/send")
@mutation()
def send(invoice_id: int):
    channel = Fields(json_body()).choice("channel", CHANNELS)
    invoice = _sendable(invoice_id)
    try:
        delivery = messaging.send_link(invoice, channel, g.actor)
    except CannotSend as exc:
        raise ApiError(422, "cannot_send", exc.args[0], "channel") from exc
    return delivery_json(delivery), 202
