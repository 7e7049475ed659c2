"""Patients' questions about their bills: the worklist, oldest first, and the answer."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from portal.extensions import db
from portal.models import BillQuestion
from portal.services import bill_questions
from portal.services.bill_questions import QuestionRefused
from portal.staff import bp
from portal.staff.access import READ, WRITE, actor, role_required, scoped


class AnswerForm(FlaskForm):
    reply = TextAreaField()


@bp.get("/questions")
@role_required(*READ)
def questions():
    return render_template(
        "staff/questions.html",
        questions=bill_questions.open_questions(current_user.practice_id),
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
    try:
        bill_questions.answer(
            question, form.reply.data or "", actor(request.remote_addr), current_user.id
        )
    except QuestionRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The question is marked answered."), "info")
    return redirect(url_for("staff.questions"))
