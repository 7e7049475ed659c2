"""The status vocabularies: every status stored is a member of its model's `StrEnum`, the
check constraints allow exactly the members, and the labels the templates and the patient
messages show cover every member they may be handed."""

import importlib
import pkgutil
import re
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import pytest

import portal
from portal.extensions import db
from portal.models import (
    Alert,
    CadenceStep,
    CallTask,
    Delivery,
    Dispute,
    ImportJob,
    Installment,
    Invoice,
    LateCharge,
    Payment,
    PendingWork,
    Plan,
    Refund,
    ReminderLog,
    SettlementOffer,
)
from portal.models.alert import ALERT_KINDS, AlertKind
from portal.models.audit import ACTOR_KINDS, ActorKind, AuditEvent
from portal.models.bill_question import QuestionStatus
from portal.models.cadence_step import CADENCE_CHANNELS, CADENCE_TONES, CadenceChannel, CadenceTone
from portal.models.call_task import CALL_OUTCOMES, CallOutcome, CallStatus
from portal.models.charge_attempt import LateChargeStatus
from portal.models.consent_record import (
    CONSENT_CHANNELS,
    ConsentChannel,
    ConsentRecord,
    ConsentSource,
)
from portal.models.delivery import CHANNELS, Channel, DeliveryPurpose, DeliveryStatus
from portal.models.dispute import DISPUTE_STATUSES, DisputeStatus
from portal.models.fiscal import (
    DOCUMENT_KINDS,
    ISSUERS,
    TAX_ID_SOURCES,
    DocumentKind,
    FiscalDocument,
    FiscalProfile,
    Issuer,
    PatientTaxId,
    TaxIdSource,
)
from portal.models.import_job import IMPORT_STATUSES, ImportStatus
from portal.models.invoice import INVOICE_STATUSES, InvoiceStatus
from portal.models.ledger import LEDGER_KINDS, LedgerEntry, LedgerKind
from portal.models.payment import (
    DESK_METHODS,
    METHODS,
    PAYMENT_STATUSES,
    REFUND_STATUSES,
    STRIPE_METHODS,
    TRANSITIONS,
    PaymentMethod,
    PaymentStatus,
    RefundStatus,
)
from portal.models.pending_work import WORK_STATUSES, WorkStatus
from portal.models.plan import INSTALLMENT_STATUSES, PLAN_STATUSES, InstallmentStatus, PlanStatus
from portal.models.reminder_log import ReminderStatus
from portal.models.settlement_offer import OfferStatus
from portal.models.staff import ROLES, Role, StaffUser
from portal.patient.messages import REFUSALS
from portal.services import messaging
from portal.services.billing import ledger
from portal.services.collections import calls, consent, letters
from portal.services.collections.alerts import KIND_LABELS, SEVERITY
from portal.services.collections.cadence_steps import DEFAULT_CADENCE, MESSAGE_CHANNELS, TONES
from portal.services.core import demo, jobs
from portal.services.core.refusals import PaymentReason
from portal.staff import access, cadence_views
from portal.staff.collection_forms import OUTCOME_LABELS
from portal.staff.report_views import CHANNEL_LABELS
from portal.vocabulary import TEMPLATE_VOCABULARIES

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

COLUMNS = [
    (Invoice.status, InvoiceStatus),
    (Payment.status, PaymentStatus),
    (Refund.status, RefundStatus),
    (Plan.status, PlanStatus),
    (Installment.status, InstallmentStatus),
    (Delivery.status, DeliveryStatus),
    (PendingWork.status, WorkStatus),
    (ImportJob.status, ImportStatus),
    (SettlementOffer.status, OfferStatus),
    (CallTask.status, CallStatus),
    (ReminderLog.status, ReminderStatus),
    (LateCharge.status, LateChargeStatus),
    (Dispute.status, DisputeStatus),
]


def test_the_constraint_tuples_are_the_members_as_plain_strings():
    pairs = [
        (INVOICE_STATUSES, InvoiceStatus),
        (PAYMENT_STATUSES, PaymentStatus),
        (REFUND_STATUSES, RefundStatus),
        (PLAN_STATUSES, PlanStatus),
        (INSTALLMENT_STATUSES, InstallmentStatus),
        (WORK_STATUSES, WorkStatus),
        (IMPORT_STATUSES, ImportStatus),
        (DISPUTE_STATUSES, DisputeStatus),
    ]
    for values, enum in pairs:
        assert values == tuple(m.value for m in enum)
        assert all(type(v) is str for v in values)  # the constraint's SQL is unchanged
    assert INVOICE_STATUSES == ("draft", "open", "paid", "void")
    assert _allowed(Delivery) == {m.value for m in DeliveryStatus}
    assert _allowed(SettlementOffer) == {m.value for m in OfferStatus}
    assert _allowed(Invoice) == {m.value for m in InvoiceStatus}


def _allowed(model) -> set[str]:
    """The values the model's status check constraint allows."""
    [text] = [
        str(c.sqltext)
        for c in model.__table__.constraints
        if hasattr(c, "sqltext") and str(c.sqltext).startswith("status IN")
    ]
    return set(re.findall(r"'([a-z_]+)'", text))


def test_a_member_is_its_stored_string():
    assert InvoiceStatus.OPEN == "open" and f"{PlanStatus.PAST_DUE}" == "past_due"
    assert {"open": 1}[InvoiceStatus.OPEN] == 1


def test_every_status_the_demo_and_a_run_store_belongs_to_its_enum(app):
    _seed_and_run()
    seen = {}
    for column, enum in COLUMNS:
        values = set(db.session.scalars(db.select(column).distinct()))
        assert values <= {m.value for m in enum}, (column, values)
        seen[column.class_.__name__] = values
    # the data looked at is real: invoices open, reminders and deliveries recorded
    assert seen["Invoice"] == {"open"}
    assert seen["ReminderLog"] and seen["Delivery"] and seen["CallTask"] == {"open"}


def _seed_and_run() -> None:
    """The demo practices, overdue bills and staff, then one run of the due work."""
    demo.seed(datetime(2026, 12, 1, 9, 0))
    demo.seed_overdue(datetime(2026, 12, 1, 9, 0))
    demo.staff_logins()
    db.session.commit()
    jobs.run_due(now=datetime(2026, 12, 1, 10, 0))


def _labels(template: str, pattern: str) -> set[str]:
    text = (TEMPLATES / template).read_text()
    block = re.search(pattern, text, re.S).group(1)
    return set(re.findall(r'"([a-z_]+)": _\(', block))


@pytest.mark.parametrize(
    ("template", "pattern", "enum"),
    [
        ("staff/_status.html", r"macro status_label.*?\{\{ (\{.*?\})\[status\]", InvoiceStatus),
        ("staff/_status.html", r"macro payment_status.*?\{\{ (\{.*?\})\[status\]", PaymentStatus),
        ("staff/dashboard.html", r"set statuses = (\{.*?\})", InvoiceStatus),
        ("staff/_invoice_offers.html", r"set offer_labels = (\{.*?\})", OfferStatus),
    ],
)
def test_the_status_labels_cover_every_member(template, pattern, enum):
    assert _labels(template, pattern) == {m.value for m in enum}


def test_the_patient_plan_labels_are_the_statuses_the_bill_shows():
    shown = _labels("patient/_plan.html", r"set statuses = (\{.*?\})")
    assert shown == {PlanStatus.ACTIVE, PlanStatus.PAST_DUE, PlanStatus.COMPLETED}


def test_every_payment_refusal_has_its_message():
    # amount_changed says the new amount, and the incentive reasons have a page of their own
    own_page = {
        PaymentReason.AMOUNT_CHANGED,
        PaymentReason.DISCOUNT_UNAVAILABLE,
        PaymentReason.OFFER_UNAVAILABLE,
    }
    assert set(REFUSALS) == set(PaymentReason) - own_page


def _check_values(model, column: str) -> set[str]:
    """The values the model's check constraint on `column` allows."""
    [text] = [
        str(c.sqltext)
        for c in model.__table__.constraints
        if hasattr(c, "sqltext") and f"{column} IN" in str(c.sqltext)
    ]
    return set(re.findall(r"'([a-z_]+)'", text))


def test_the_other_vocabularies_are_their_constraints():
    assert tuple(m.value for m in CallOutcome) == CALL_OUTCOMES
    assert tuple(m.value for m in AlertKind) == ALERT_KINDS
    assert tuple(m.value for m in Channel) == CHANNELS
    assert tuple(m.value for m in CadenceChannel) == CADENCE_CHANNELS
    for values in (CALL_OUTCOMES, ALERT_KINDS, CHANNELS, CADENCE_CHANNELS):
        assert all(type(v) is str for v in values)  # the constraints' SQL is unchanged
    assert _check_values(CallTask, "outcome") == set(CALL_OUTCOMES)
    assert _check_values(Alert, "kind") == set(ALERT_KINDS)
    assert _check_values(Delivery, "channel") == {"email", "sms", "letter"}
    assert _check_values(CadenceStep, "channel") == {"call", "sms", "email", "letter"}
    # a cadence step is a call or a message on a delivery channel
    assert set(CadenceChannel) == set(Channel) | {CadenceChannel.CALL}
    assert set(MESSAGE_CHANNELS) == set(Channel)
    # links are sent, and consent given, by email or text only
    assert set(messaging.CHANNELS) == set(consent.CHANNELS) == {Channel.EMAIL, Channel.SMS}
    assert set(calls.OUTCOMES) == set(CallOutcome)


def test_the_other_label_registries_cover_every_member():
    assert set(KIND_LABELS) == set(AlertKind)
    assert set(SEVERITY) == set(AlertKind)
    assert set(OUTCOME_LABELS) == set(CallOutcome)
    assert set(CHANNEL_LABELS) == set(CadenceChannel)
    assert {c.value for c in cadence_views.CHANNELS} == {""} | set(CadenceChannel)


def test_every_channel_and_kind_a_run_stores_belongs_to_its_enum(app):
    demo.seed(datetime(2026, 12, 1, 9, 0))
    demo.seed_overdue(datetime(2026, 12, 1, 9, 0))
    db.session.commit()
    jobs.run_due(now=datetime(2026, 12, 1, 10, 0))
    channels = set(db.session.scalars(db.select(Delivery.channel).distinct()))
    logged = set(db.session.scalars(db.select(ReminderLog.channel).distinct()))
    kinds = set(db.session.scalars(db.select(Alert.kind).distinct()))
    assert channels and channels <= set(Channel)
    assert logged and logged <= set(CadenceChannel)
    assert kinds <= set(AlertKind)


#: (model, column, enum, the constraint tuple) of the vocabularies that are not statuses
VOCABULARIES = [
    (FiscalDocument, "kind", DocumentKind, DOCUMENT_KINDS),
    (FiscalProfile, "issuer", Issuer, ISSUERS),
    (PatientTaxId, "source", TaxIdSource, TAX_ID_SOURCES),
    (LedgerEntry, "kind", LedgerKind, LEDGER_KINDS),
    (CadenceStep, "tone", CadenceTone, CADENCE_TONES),
    (ConsentRecord, "channel", ConsentChannel, CONSENT_CHANNELS),
    (AuditEvent, "actor_kind", ActorKind, ACTOR_KINDS),
    (StaffUser, "role", Role, ROLES),
    (Payment, "method", PaymentMethod, METHODS),
]


@pytest.mark.parametrize(("model", "column", "enum", "values"), VOCABULARIES)
def test_each_vocabulary_is_its_tuple_and_its_check_constraint(model, column, enum, values):
    assert values == tuple(m.value for m in enum)
    assert all(type(v) is str for v in values)  # the constraint's SQL names plain strings
    assert _check_values(model, column) == set(values)


def test_the_vocabularies_keep_their_stored_strings():
    assert DOCUMENT_KINDS == ("invoice", "credit_note")
    assert ACTOR_KINDS == ("staff", "patient", "system", "stripe")
    assert CADENCE_TONES == ("courtesy", "friendly", "firm", "firmer", "final")
    assert CONSENT_CHANNELS == ("email", "sms", "attachments", "esign")
    assert ROLES == ("owner", "billing", "viewer")
    assert LEDGER_KINDS[:7] == (
        "charge",
        "payment",
        "refund",
        "discount",
        "adjustment",
        "settlement",
        "write_off",
    )
    assert _check_values(Delivery, "status") == set(DeliveryStatus)


def test_the_tables_keyed_by_a_vocabulary_cover_every_member():
    assert set(ledger.SIGNS) == set(LedgerKind)
    assert set(consent.FLAGS) == set(ConsentChannel)
    assert set(TRANSITIONS) == set(PaymentStatus)
    assert all(targets <= set(PaymentStatus) for targets in TRANSITIONS.values())
    assert set(STRIPE_METHODS) | set(DESK_METHODS) == set(PaymentMethod)
    assert not set(STRIPE_METHODS) & set(DESK_METHODS)
    assert TONES == tuple(CadenceTone) == letters.TONES
    assert {step.tone for step in DEFAULT_CADENCE} == set(CadenceTone)
    assert {c.value for c in cadence_views.TONES} == set(CadenceTone)
    assert set(access.READ) == set(Role) and access.OWNER == (Role.OWNER,)
    assert set(ConsentSource) >= {ConsentSource.API, ConsentSource.STAFF, ConsentSource.CSV}
    assert set(messaging.PURPOSES) == set(DeliveryPurpose)
    assert all(name == purpose.name for name, purpose in messaging.PURPOSES.items())


def test_every_kind_a_run_stores_belongs_to_its_vocabulary(app):
    _seed_and_run()
    seen = {}
    for model, column, enum, _ in VOCABULARIES:
        values = set(db.session.scalars(db.select(getattr(model, column)).distinct()))
        assert values <= set(enum), (model.__name__, column, values)
        seen[model.__name__] = values
    # the data looked at is real: charges booked, the jobs audited, staff signed up
    assert LedgerKind.CHARGE in seen["LedgerEntry"]
    purposes = set(db.session.scalars(db.select(Delivery.purpose).distinct()))
    assert DeliveryPurpose.REMINDER in purposes and purposes <= set(DeliveryPurpose)
    assert seen["AuditEvent"] == {ActorKind.SYSTEM}
    assert Role.OWNER in seen["StaffUser"]


def _vocabulary_values() -> dict[str, set[str]]:
    """Every value of every `StrEnum` of the package, with the enums it belongs to."""
    for info in pkgutil.walk_packages(portal.__path__, "portal."):
        if ".migrations" not in info.name:
            importlib.import_module(info.name)
    enums, seen = [StrEnum], set()
    values: dict[str, set[str]] = {}
    while enums:
        for enum in enums.pop().__subclasses__():
            if enum.__module__.startswith("portal.") and enum not in seen:
                seen.add(enum)
                enums.append(enum)
                for member in enum:
                    values.setdefault(member.value, set()).add(enum.__name__)
    return values


_LITERAL = r"""(?:"[a-z_]+"|'[a-z_]+')"""
#: a comparison with a bare string: `x == "open"`, `"open" != x`, `x in ("draft", "open")`
_BARE = re.compile(
    rf"(?:(?:==|!=)\s*({_LITERAL}))|(?:({_LITERAL})\s*(?:==|!=))"
    rf"|(?:\bin\s*[(\[]((?:\s*{_LITERAL}\s*,?)+)[)\]])"
)
#: a member read from a vocabulary global: `InvoiceStatus.OPEN`
_MEMBER = re.compile(r"\b([A-Z][A-Za-z]+)\.([A-Z][A-Z_]*)\b")


def bare_vocabulary_comparisons(text: str, values: dict[str, set[str]]) -> list[str]:
    """The bare strings `text` compares with that are the value of a vocabulary member."""
    found = []
    for match in _BARE.finditer(text):
        literals = re.findall(r"[a-z_]+", "".join(g or "" for g in match.groups()))
        found += [value for value in literals if value in values]
    return found


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


def test_the_templates_compare_with_members_never_with_their_bare_values():
    values = _vocabulary_values()
    strays = {}
    for path in _templates():
        found = bare_vocabulary_comparisons(path.read_text(), values)
        if found:
            strays[path.relative_to(TEMPLATES).as_posix()] = found
    assert strays == {}


def test_the_scan_finds_a_bare_value_however_it_is_compared():
    values = _vocabulary_values()
    text = """{% if invoice.status == "open" %}{% if 'viewer' != current_user.role %}
    {% if plan.status in ("active", "past_due") %}{{ "x" if tone == 'final' }}
    {% if what == "next" %}{% if current_locale() == "en" %}{% if kind == AlertKind.CREDIT_HELD %}"""
    assert bare_vocabulary_comparisons(text, values) == [
        "open",
        "viewer",
        "active",
        "past_due",
        "final",
    ]
    assert values["open"] >= {
        e.__name__ for e in (InvoiceStatus, OfferStatus, CallStatus, QuestionStatus)
    }


def test_every_member_a_template_reads_is_a_member_of_a_template_global():
    read = set()
    for path in _templates():
        read |= {(name, member) for name, member in _MEMBER.findall(path.read_text())}
    for name, member in read:
        assert name in TEMPLATE_VOCABULARIES, name
        assert member in TEMPLATE_VOCABULARIES[name].__members__, (name, member)
    # the scan reads the templates: the bill and the invoice page compare statuses and kinds
    assert {
        ("InvoiceStatus", "OPEN"),
        ("DocumentKind", "CREDIT_NOTE"),
        ("Role", "VIEWER"),
        ("NoticeState", "NO_CONSENT"),
    } <= read


def test_the_vocabularies_render_as_their_stored_strings(app):
    template = app.jinja_env.from_string(
        "{{ status == InvoiceStatus.OPEN }} {{ status in (PlanStatus.ACTIVE,) }} {{ Role.VIEWER }}"
    )
    assert template.render(status="open") == "True False viewer"
    assert all(issubclass(enum, StrEnum) for enum in TEMPLATE_VOCABULARIES.values())
