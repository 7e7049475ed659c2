"""The practice's side: sign-in, patients, invoices, sending links, money, settings."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from portal.staff import (  # noqa: E402, F401
    account_views,
    alert_views,
    auth_views,
    cadence_views,
    collection_views,
    fiscal_views,
    import_views,
    invoice_views,
    link_views,
    money_views,
    nav,
    offer_views,
    partial_views,
    patient_views,
    plan_views,
    question_views,
    report_views,
    settings_views,
    stripe_views,
    user_access_views,
    work_views,
)
