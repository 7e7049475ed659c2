"""Reading the outbox: a list of messages, each message, and its attachments."""

from email import message_from_string, policy
from io import BytesIO

from flask import abort, render_template, send_file

from portal.dev import bp
from portal.extensions import db
from portal.models import OutboxMessage
from portal.models.delivery import Channel


def _parsed(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    return message, message_from_string(message.raw, policy=policy.default)


@bp.get("/outbox")
def outbox():
    messages = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id.desc()))
    return render_template("dev/outbox.html", messages=list(messages))


@bp.get("/outbox/<int:message_id>")
def message(message_id: int):
    stored, parsed = _parsed(message_id)
    body = parsed.get_body(preferencelist=("plain",)) if stored.channel == Channel.EMAIL else None
    attachments = [part.get_filename() for part in parsed.iter_attachments()]
    text = body.get_content() if body is not None else stored.raw
    return render_template("dev/message.html", message=stored, text=text, attachments=attachments)


@bp.get("/outbox/<int:message_id>/attachments/<int:index>")
def attachment(message_id: int, index: int):
    _, parsed = _parsed(message_id)
    parts = list(parsed.iter_attachments())
    if index >= len(parts):
        abort(404)
    part = parts[index]
    return send_file(
        BytesIO(part.get_content()),
        mimetype=part.get_content_type(),
        download_name=part.get_filename(),
    )
