"""The patient's fiscal documents after the identity check: giving the codice fiscale,
opposing the Sistema TS transmission, downloading health invoices, credit notes and the US
itemized statement. Also what Saldo's receipts say about being fiscal documents."""

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from portal.downloads import content_disposition
from portal.extensions import db
from portal.i18n import current_locale
from portal.models import FiscalDocument
from portal.models.fiscal import TaxIdSource
from portal.patient import bp
from portal.patient import session as patient_session
from portal.services.fiscal import opposition, profile, render, statement, tax_ids
from portal.services.fiscal.profile import FiscalRefused
from portal.units import commit_or_flash


class CodiceFiscaleForm(FlaskForm):
    codice_fiscale = StringField(validators=[DataRequired(), Length(max=20)])


class OppositionForm(FlaskForm):
    #: "1" to oppose, "0" to withdraw an opposition
    opposed = HiddenField(validators=[AnyOf(("0", "1"))])


def _back():
    return redirect(url_for("patient.invoice") + "#fiscal-title")


@bp.post("/pay/fiscal/codice-fiscale")
@patient_session.link_required()
def fiscal_codice():
    form = CodiceFiscaleForm()
    if not profile.saldo_issues(g.practice) or not form.validate_on_submit():
        abort(400)
    saved = commit_or_flash(
        lambda: tax_ids.set_codice_fiscale(
            g.invoice.patient,
            form.codice_fiscale.data,
            TaxIdSource.PATIENT,
            patient_session.actor(request.remote_addr),
        ),
        FiscalRefused,
    )
    if saved:
        flash(_("Thank you: your codice fiscale is saved."), "info")
    return _back()


@bp.post("/pay/fiscal/opposition")
@patient_session.link_required()
def fiscal_opposition():
    form = OppositionForm()
    if not profile.saldo_issues(g.practice) or not form.validate_on_submit():
        abort(400)
    opposed = form.opposed.data == "1"
    opposition.record(
        g.invoice,
        opposed,
        opposition.notice_text(),
        current_locale(),
        patient_session.actor(request.remote_addr),
    )
    db.session.commit()
    flash(
        _("Your opposition is recorded.") if opposed else _("Your opposition is withdrawn."),
        "info",
    )
    return _back()


@bp.get("/pay/fiscal/documents/<int:document_id>.pdf")
@patient_session.link_required()
def fiscal_document(document_id: int):
    document = db.session.get(FiscalDocument, document_id)
    if document is None or document.invoice_id != g.invoice.id:
        abort(404)
    locale = "en" if request.args.get("lang") == "en" else "it"
    disposition = content_disposition(render.document_filename(document, locale))
    return Response(
        render.document_pdf(document, locale),
        mimetype="application/pdf",
        headers={"Content-Disposition": disposition},
    )


@bp.get("/pay/statement.pdf")
@patient_session.link_required()
def fiscal_statement():
    try:
        pdf = render.statement_pdf(g.invoice, current_locale())
    except FiscalRefused:
        abort(404)
    disposition = content_disposition(statement.filename(g.invoice, current_locale()))
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": disposition})
