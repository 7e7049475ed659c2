"""The plan agreement: rendered once, shown, signed and sealed as the same bytes.

Agreement texts are versioned templates, one per language, under
`templates/agreements/<version>/<language>.html`; a signed version is never edited.

Render once: `show` renders the document when the payment method is known (the method
clause and the retry days are final then), stores its UTF-8 bytes and their SHA-256 on the
plan, and returns them; every later view, the signature and the sealed PDF use those stored
bytes. Choosing another method before signing discards them and the next `show` renders
anew. The consent to electronic records is stored the same way when it is given.

Clauses follow the practice's country: an Italian practice's agreement carries the Italian
law clauses, the firma elettronica semplice statement and the separate approval of the
onerous clauses (arts. 1341-1342 c.c.) in whatever language the patient reads; when the
patient's language is not the practice's, the practice-language text follows as part of
the document. A US plan carries the Truth in Lending box exactly when `tila.applies`.
"""

import base64
import binascii
import hashlib
import unicodedata
from datetime import date

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from portal.clock import utcnow
from portal.i18n import file_name, rendering_in
from portal.models import Plan
from portal.models.payment import PaymentMethod
from portal.models.plan import PlanStatus, retry_days_for
from portal.services.access import privacy
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused
from portal.services.plans import plans, tila

CONSENT_VERSION = "esign-2026-11-v1"
MAX_SIGNATURE_BYTES = 200_000
#: clauses of the agreement that need the specific approval of arts. 1341-1342 c.c.
ONEROUS_CLAUSES = (3,)
METHODS = (PaymentMethod.CARD, PaymentMethod.SEPA_DEBIT)
UNREADABLE = _l("The drawn signature could not be read. Please draw it again.")
CHANGED = _l("The agreement changed while you were reading it. Please read it again.")


class SigningRefused(Refused, ValueError):
    code = RefusalCode.SIGNING


def needs_tila_box(plan: Plan) -> bool:
    """Truth in Lending disclosure: US practices, a finance charge or more than four
    installments."""
    return tila.applies(
        plan.invoice.practice.country, plan.finance_charge_minor, plan.installment_count
    )


def needs_specific_approval(plan: Plan) -> bool:
    """Italian practices ask for the separate approval of the onerous clauses."""
    return plan.invoice.practice.country == "IT"


def practice_language(practice) -> str:
    return "it" if practice.country == "IT" else "en"


def privacy_url(practice) -> str:
    return privacy.notice_url(practice)


def _render(plan: Plan, language: str, other_language: str | None) -> str:
    invoice = plan.invoice
    with rendering_in(language):
        return render_template(
            f"agreements/{plan.agreement_version}/{language}.html",
            plan=plan,
            invoice=invoice,
            practice=invoice.practice,
            patient=invoice.patient,
            installments=[i for i in plan.installments if i.sequence > 0],
            down=plans.down_payment(plan),
            offered_on=plans.offered_on(plan),
            tila=needs_tila_box(plan),
            box=tila.box(plan),
            method=plan.method,
            retries=[int(n) for n in plan.retry_days.split(",")],
            onerous=ONEROUS_CLAUSES,
            other_language=other_language,
            privacy_url=privacy_url(invoice.practice),
        )


def render_document(plan: Plan) -> str:
    """The agreement in the plan's language, followed by the practice-language text when
    the two differ (rendered from the templates; `show` stores the result)."""
    home = practice_language(plan.invoice.practice)
    if plan.language == home:
        return _render(plan, plan.language, None)
    first = _render(plan, plan.language, home)
    second = _render(plan, home, plan.language)
    return f'<div class="agreement-texts">{first}\n{second}</div>'


def offered_methods(offered: list[str]) -> list[str]:
    """The methods an agreement may name among those `offered` (a card agreement is also
    charged through Link where Link is offered)."""
    return [m for m in offered if m in METHODS]


def choose_method(plan: Plan, method: str, actor: Actor) -> None:
    """Set how the installments will be charged, before signing; a different method
    discards the stored document so that the next `show` states the new one."""
    if method not in METHODS:
        raise SigningRefused(_l("Choose how you will pay."))
    if plan.signed_at is not None:
        raise SigningRefused(_l("This agreement has already been signed."))
    if plan.method == method and plan.document_html:
        return
    plan.method = method
    plan.document_html = plan.document_sha256 = None
    record_event(plan, "method_chosen", actor, method=method)


def show(plan: Plan) -> str:
    """The document the sign page shows: rendered and stored the first time, the stored
    bytes ever after (until the method changes before signing)."""
    if plan.document_html is None:
        if plan.method is None:
            raise SigningRefused(_l("Choose how you will pay."))
        policy = plans.policy_for(plan.practice_id)
        plan.retry_days = ",".join(str(d) for d in retry_days_for(policy))
        data = render_document(plan).encode("utf-8")
        plan.document_html, plan.document_sha256 = data, hashlib.sha256(data).hexdigest()
    return plan.document_html.decode("utf-8")


def document_html(plan: Plan) -> str:
    """The stored document (see `show`)."""
    return show(plan)


def document_sha256(plan: Plan) -> str:
    show(plan)
    return plan.document_sha256


def consent_html(plan: Plan) -> str:
    """The consent to electronic records as shown: stored once consent is given."""
    if plan.consent_html:
        return plan.consent_html.decode("utf-8")
    invoice = plan.invoice
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    with rendering_in(plan.language):
        return render_template(
            f"agreements/consent/{CONSENT_VERSION}-{plan.language}.html",
            practice=invoice.practice,
            invoice=invoice,
            sample_url=f"{base}/pay/plan/sample.pdf",
        )


def record_event(plan: Plan, name: str, actor: Actor, **details) -> None:
    """Note a step (viewed, consented) with its time in the plan's evidence."""
    evidence = dict(plan.evidence or {})
    evidence[f"{name}_at"] = utcnow().isoformat(timespec="seconds") + "Z"
    evidence.update(details)
    plan.evidence = evidence
    audit.record(
        f"plan.{name}",
        practice_id=plan.practice_id,
        invoice_id=plan.invoice_id,
        actor=actor,
        plan_id=plan.id,
        **details,
    )


def consent(plan: Plan, actor: Actor) -> None:
    """The patient agreed to electronic records; the text shown is stored with the plan."""
    text = consent_html(plan).encode("utf-8")
    plan.consent_html = text
    record_event(
        plan,
        "consented",
        actor,
        consent_version=CONSENT_VERSION,
        consent_sha256=hashlib.sha256(text).hexdigest(),
    )


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join(
        "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split()
    )


def decode_signature(data_url: str | None) -> bytes | None:
    """PNG bytes from a canvas `data:image/png;base64,...` URL; None when nothing was drawn."""
    if not data_url:
        return None
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix) or len(data_url) > MAX_SIGNATURE_BYTES * 4 // 3 + 64:
        raise SigningRefused(UNREADABLE)
    try:
        png = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SigningRefused(UNREADABLE) from exc
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise SigningRefused(UNREADABLE)
    return png


def _names_patient(plan: Plan, typed: str | None) -> bool:
    return bool(typed and typed.strip()) and _folded(plan.invoice.patient.last_name) in _folded(
        typed
    )


def sign(
    plan: Plan,
    *,
    typed_name: str,
    signature_png: bytes | None,
    shown_sha256: str,
    actor: Actor,
    user_agent: str,
    time_zone: str,
    verification_method: str = "date_of_birth",
    today: date | None = None,
    onerous_approved: bool = False,
    onerous_name: str | None = None,
) -> None:
    """Record the signature of the stored document whose hash the patient's page showed.

    Refused when the plan's dates have passed (`today` later than its down payment), when
    the document is not the stored one, and, for Italian practices, without the separate
    approval of the onerous clauses (its own tick and typed name)."""
    if plan.status != PlanStatus.PENDING_SIGNATURE or plan.signed_at is not None:
        raise SigningRefused(_l("This agreement has already been signed."))
    if "consented_at" not in (plan.evidence or {}):
        raise SigningRefused(_l("Please first agree to receive documents electronically."))
    if today is not None and plans.offered_on(plan) < today:
        raise SigningRefused(_l("The dates of this plan have passed. Please choose it again."))
    if plan.document_html is None or shown_sha256 != plan.document_sha256:
        raise SigningRefused(CHANGED)
    if not _names_patient(plan, typed_name):
        raise SigningRefused(_l("Type your full name as it appears on the bill."))
    approval = {}
    if needs_specific_approval(plan):
        if not onerous_approved or not _names_patient(plan, onerous_name):
            raise SigningRefused(
                _l("Please approve clause 3 separately: tick its box and type your name.")
            )
        approval = {
            "onerous_clauses": list(ONEROUS_CLAUSES),
            "onerous_approved_by": onerous_name.strip()[:200],
        }
    now = utcnow()
    plan.signed_at, plan.signer_name, plan.signature_png = (
        now,
        typed_name.strip()[:200],
        signature_png,
    )
    record_event(
        plan,
        "signed",
        actor,
        document_sha256=shown_sha256,
        agreement_version=plan.agreement_version,
        language=plan.language,
        method=plan.method,
        signer_ip=actor.ip_address,
        user_agent=user_agent[:300],
        time_zone=time_zone[:64],
        verification_method=verification_method,
        signature="drawn" if signature_png else "typed",
        **approval,
    )


def finalize(plan: Plan) -> bytes:
    """The sealed PDF of the signed agreement (made once, from the stored document)."""
    from portal.services.plans import agreement_seal

    return agreement_seal.finalize(plan)


def check(plan: Plan):
    """Staff check of the stored PDF (see `agreement_seal.check`)."""
    from portal.services.plans import agreement_seal

    return agreement_seal.check(plan)


def filename(plan: Plan) -> str:
    """The signed agreement's file name in the plan's language."""
    return file_name("agreement", plan.invoice.number, plan.id, locale=plan.language)
