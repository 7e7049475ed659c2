"""Patients' questions about their bills: the worklist, oldest first, and the answer."""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from portal.clock import utcnow
from portal.models import BillQuestion
from portal.services.collections import bill_questions
from portal.services.collections.bill_questions import QuestionRefused
from portal.services.messaging import answers
from portal.staff import bp
from portal.staff.access import READ, WRITE, actor, role_required, scoped
from portal.units import commit_or_flash

#: how long an answered question stays on the worklist, with whether the patient was told
ANSWERED_SHOWN = timedelta(days=14)
#: what staff are told about the patient's notice of the answer (`messaging.answers.queue`)
NOTICES = {
    "email": _l("The patient gets an email with a link to read the reply."),
    "sms": _l("The patient gets a text message with a link to read the reply."),
    answers.NO_REPLY: _l("Without a reply, the patient is not sent a message."),
    answers.INVOICE_CLOSED: _l("The invoice is closed: the patient is not sent a message."),
    answers.NO_CONSENT: _l(
        "The patient has not agreed to email or text messages: they are not sent a message."
    ),
}


class AnswerForm(FlaskForm):
    reply = TextAreaField()


@bp.get("/questions")
@role_required(*READ)
def questions():
    return render_template(
        "staff/questions.html",
        questions=bill_questions.open_questions(current_user.practice_id),
        answered=answers.answered_since(current_user.practice_id, utcnow() - ANSWERED_SHOWN),
        form=AnswerForm(),
        can_answer=current_user.can(*WRITE),
    )


@bp.post("/questions/<int:question_id>/answer")
@role_required(*WRITE)
def answer_question(question_id: int):
    question = scoped(BillQuestion, question_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    answered = commit_or_flash(
        lambda: bill_questions.answer(
            question, form.reply.data or "", actor(request.remote_addr), current_user.id
        ),
        QuestionRefused,
    )
    if answered:
        done = _("The question is marked answered.")
        flash(f"{done} {NOTICES[answered.value]}", "info")
    return redirect(url_for("staff.questions"))
