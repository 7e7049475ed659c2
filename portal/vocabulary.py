"""The named vocabularies templates compare with: each `StrEnum` a template may test a status,
kind, tone, role or state against is a template global under its class name, so a page reads
`{% if invoice.status == InvoiceStatus.OPEN %}` rather than a bare string
(tests/test_status_enums.py fails on a template comparing with a member's bare value)."""

from enum import StrEnum

from flask import Flask

from portal.models.alert import AlertKind
from portal.models.cadence_step import CadenceTone
from portal.models.call_task import CallOutcome, CallStatus
from portal.models.collection_state import Hold
from portal.models.delivery import DeliveryStatus
from portal.models.fiscal import DocumentKind
from portal.models.import_job import ImportStatus
from portal.models.invoice import InvoiceStatus
from portal.models.payment import PaymentMethod, PaymentStatus, RefundOrigin, RefundStatus
from portal.models.pending_work import WorkStatus
from portal.models.plan import PlanStatus
from portal.models.settlement_offer import OfferStatus
from portal.models.staff import Role
from portal.services.access.links import LinkState
from portal.services.messaging.answers import NoticeState
from portal.services.payments.stripe_accounts import ElementsMode

#: the vocabularies templates get, by the name they read them under
TEMPLATE_VOCABULARIES: dict[str, type[StrEnum]] = {
    enum.__name__: enum
    for enum in (
        AlertKind,
        CadenceTone,
        CallOutcome,
        CallStatus,
        DeliveryStatus,
        DocumentKind,
        ElementsMode,
        Hold,
        ImportStatus,
        InvoiceStatus,
        LinkState,
        NoticeState,
        OfferStatus,
        PaymentMethod,
        PaymentStatus,
        PlanStatus,
        RefundOrigin,
        RefundStatus,
        Role,
        WorkStatus,
    )
}


def init_app(app: Flask) -> None:
    """Make every vocabulary a template global of `app`."""
    app.jinja_env.globals.update(TEMPLATE_VOCABULARIES)
