"""The patient's side: a private link, identity check, the invoice and paying it."""

from flask import Blueprint, g

bp = Blueprint("patient", __name__)


@bp.app_context_processor
def practice_context() -> dict:
    return {"practice": g.get("practice")}


from portal.patient import (  # noqa: E402, F401
    agreement_views,
    brand_views,
    fiscal_views,
    home_views,
    link_request_views,
    offer_views,
    partial_views,
    payment_views,
    plan_actions_views,
    plan_views,
    privacy_views,
    question_views,
    resume_views,
    unsubscribe_views,
    views,
)
