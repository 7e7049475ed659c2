"""Unlocking a payment link that wrong dates of birth have locked."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Invoice, PaymentLink
from portal.services.access import links
from portal.staff import bp
from portal.staff.access import WRITE, actor, role_required, scoped
from portal.staff.forms import ActionForm


@bp.post("/invoices/<int:invoice_id>/links/<int:link_id>/unlock")
@role_required(*WRITE)
def link_unlock(invoice_id: int, link_id: int):
    invoice = scoped(Invoice, invoice_id)
    link = db.session.get(PaymentLink, link_id)
    if link is None or link.invoice_id != invoice.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    links.unlock(link, actor(request.remote_addr))
    db.session.commit()
    flash(_("The link works again: the patient can confirm their date of birth."), "info")
    return redirect(url_for("staff.invoice_detail", invoice_id=invoice.id))
