"""After verification: a question about the bill, and every open bill of the patient."""

from flask import abort, g, redirect, render_template, request, url_for

from portal.clock import practice_today
from portal.extensions import db
from portal.patient import bp
from portal.patient import session as patient_session
from portal.patient.forms import ConfirmForm, QuestionForm
from portal.services.access import open_bills
from portal.services.collections import bill_questions
from portal.services.collections.bill_questions import QuestionRefused
from portal.units import commit_or_refuse


@bp.route("/pay/question", methods=["GET", "POST"])
@patient_session.link_required()
def question():
    form = QuestionForm()
    if form.validate_on_submit():
        actor = patient_session.actor(request.remote_addr)
        asked = commit_or_refuse(
            lambda: bill_questions.ask(
                g.invoice, form.question.data, actor, practice_today(g.practice)
            ),
            QuestionRefused,
        )
        if asked:
            return render_template("patient/question_sent.html", until=asked.value)
        form.question.errors = [asked.message]
    status = 422 if request.method == "POST" else 200
    answered = bill_questions.answered_questions(g.invoice)
    return render_template("patient/question.html", form=form, answered=answered), status


@bp.get("/pay/bills")
@patient_session.link_required()
def bills():
    return render_template(
        "patient/bills.html", bills=open_bills.of_patient(g.invoice), form=ConfirmForm()
    )


@bp.post("/pay/bills/<int:invoice_id>")
@patient_session.link_required()
def open_bill(invoice_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    actor = patient_session.actor(request.remote_addr)
    link = open_bills.switch_to(g.link, invoice_id, actor)
    if link is None:
        abort(404)
    db.session.commit()
    patient_session.mark_verified(link)
    return redirect(url_for("patient.invoice"))
