"""Two staff members (or a form replayed by two web servers) answer the same question at the
same moment, in two processes against PostgreSQL: one answer is kept, one is refused, and the
patient gets one message."""

from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.mail import SMTPMailer
from portal.models import BillQuestion, Delivery, PendingWork
from portal.services.collections import bill_questions
from portal.services.core import outbox
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.conftest import _make_app
from tests.support import workers

#: each process loads the question, then, at the start, answers it with its reply
SETUP = """
from portal.models import BillQuestion
from portal.services.collections import bill_questions
from portal.services.core.audit import SYSTEM

question = db.session.scalars(db.select(BillQuestion)).one()
db.session.commit()
"""
RACE = """
try:
    print(bill_questions.answer(question, sys.argv[3], SYSTEM, None))
    db.session.commit()
except bill_questions.QuestionRefused as exc:
    db.session.rollback()
    print(exc)
"""


def test_two_answers_at_once_keep_one_and_send_one_message(postgres_url, smtp, tmp_path):
    app = _make_app(postgres_url)
    with app.app_context():
        invoice = factories.invoice(factories.patient(factories.practice(), locale="en"))
        bill_questions.ask(invoice, "Why this amount?", SYSTEM, invoice.issued_on)
        db.session.commit()
        question_id = db.session.scalars(db.select(BillQuestion.id)).one()
        db.session.remove()
    env = workers.env_for(app, "http://127.0.0.1:9")  # no Stripe call
    outputs = workers.racing(env, SETUP, RACE, tmp_path, "Reply 1", "Reply 2")
    answers = sorted(output.strip() for output in outputs)
    assert answers == ["This question has already been answered.", "email"]
    with app.app_context():
        app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
        question = db.session.get(BillQuestion, question_id)
        assert question.reply in ("Reply 1", "Reply 2")  # whichever process came first
        assert db.session.scalar(db.select(db.func.count()).select_from(PendingWork)) == 1
        assert outbox.run_pending(now=utcnow()) == 1
        assert len(smtp.messages) == 1
        sent = db.session.scalars(db.select(Delivery.status)).all()
        assert sent == ["sent"]
        db.session.remove()
        db.engine.dispose()
