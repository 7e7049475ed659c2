"""Two staff members (or a form replayed by two web servers) answer the same question at the
same moment, in two processes against PostgreSQL: one answer is kept, one is refused, and the
patient gets one message."""

import multiprocessing

from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.mail import SMTPMailer
from portal.models import BillQuestion, Delivery, PendingWork
from portal.services.collections import bill_questions
from portal.services.core import outbox
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.conftest import _make_app


def _answer_in_a_process(database_url, question_id, reply, barrier, results):
    from portal import create_app

    app = create_app(
        {
            "SALDO_ENV": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        }
    )
    with app.app_context():
        question = db.session.get(BillQuestion, question_id)
        db.session.commit()
        barrier.wait()
        try:
            results.put(bill_questions.answer(question, reply, SYSTEM, None))
            db.session.commit()
        except bill_questions.QuestionRefused as exc:
            db.session.rollback()
            results.put(str(exc))


def test_two_answers_at_once_keep_one_and_send_one_message(postgres_url, smtp):
    app = _make_app(postgres_url)
    with app.app_context():
        invoice = factories.invoice(factories.patient(factories.practice(), locale="en"))
        bill_questions.ask(invoice, "Why this amount?", SYSTEM, invoice.issued_on)
        db.session.commit()
        question_id = db.session.scalars(db.select(BillQuestion.id)).one()
        db.session.remove()
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(2), spawn.Queue()
    workers = [
        spawn.Process(
            target=_answer_in_a_process,
            args=(postgres_url, question_id, f"Reply {n}", barrier, results),
        )
        for n in (1, 2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    answers = sorted(results.get(timeout=5) for _ in workers)
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
