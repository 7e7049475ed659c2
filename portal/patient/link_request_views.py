"""An expired or replaced link's page lets the patient ask for a new link, sent to the email
or phone on file. The answer is the same whether or not anything was sent."""

from flask import g, render_template, request

from portal.extensions import limiter
from portal.models.audit import ActorKind
from portal.patient import bp
from portal.patient.forms import LinkRequestForm
from portal.services import messaging
from portal.services.access import links
from portal.services.core.audit import Actor
from portal.units import commit_or_refuse


@bp.post("/p/new-link")
@limiter.limit("5 per hour")
def request_new_link():
    token = request.form.get("token", "")
    lookup = links.resolve(token)
    if lookup.link is not None:  # the page speaks the practice's language, as the link's did
        practice = lookup.link.invoice.practice
        g.practice_locale, g.patient_locale = practice.default_locale, None
    form = LinkRequestForm()
    if form.validate_on_submit():
        actor = Actor(ActorKind.PATIENT, "link-request", request.remote_addr)
        commit_or_refuse(lambda: messaging.request_link(token, form.channel.data, actor))
    return render_template("patient/link_requested.html"), 200
