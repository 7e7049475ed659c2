"""Without SMTP or an SMS provider the gateways hand each message to the outbox, which keeps
it on the channel it was meant for."""

from portal import gateways
from portal.extensions import db
from portal.models import OutboxMessage
from portal.models.delivery import Channel
from portal.services import messaging
from tests import factories


def test_the_outbox_keeps_an_email_and_a_text_on_their_channels(app):
    practice = factories.practice()
    message = messaging.build_message(practice, "ada@example.org", "Your bill", "t", "<p>t</p>")
    gateways.mailer().send(message)
    sid = gateways.sms().send("+393331234567", "Saldo\u00a0154,50\u202f€")
    rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.channel, r.recipient, r.subject) for r in rows] == [
        (Channel.EMAIL, "ada@example.org", "Your bill"),
        (Channel.SMS, "+393331234567", None),
    ]
    assert rows[0].raw == message.as_string()
    assert (sid, rows[1].raw) == (f"outbox-{rows[1].id}", "Saldo 154,50 €")
