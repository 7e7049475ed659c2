"""The plan agreement: the exact document shown, consent to electronic records, the
signature with its evidence, and the sealed PDF with a certificate page.

Agreement texts are versioned templates, one per language, under
`templates/agreements/<version>/<language>.html`; a signed version is never edited.
"""

import base64
import binascii
import unicodedata
from datetime import datetime

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from portal.clock import utcnow
from portal.extensions import db
from portal.gateways import seal
from portal.gateways.pdf import html_to_pdf
from portal.i18n import rendering_in
from portal.models import Plan
from portal.services import audit, seal_keys
from portal.services.audit import Actor

CONSENT_VERSION = "esign-2026-11-v1"
MAX_SIGNATURE_BYTES = 200_000
UNREADABLE = _l("The drawn signature could not be read. Please draw it again.")
CHANGED = _l("The agreement changed while you were reading it. Please read it again.")


class SigningRefused(ValueError):
    pass


def needs_tila_box(plan: Plan) -> bool:
    """Truth in Lending disclosure: US practices, plans of more than four installments."""
    return plan.invoice.practice.country == "US" and plan.installment_count > 4


def document_html(plan: Plan) -> str:
    """The agreement exactly as the patient reads and signs it (an HTML fragment)."""
    invoice = plan.invoice
    with rendering_in(plan.language):
        return render_template(
            f"agreements/{plan.agreement_version}/{plan.language}.html",
            plan=plan,
            invoice=invoice,
            practice=invoice.practice,
            patient=invoice.patient,
            installments=[i for i in plan.installments if i.sequence > 0],
            down=plan.installments[0],
            tila=needs_tila_box(plan),
            retries=_retry_days(plan),
        )


def _retry_days(plan: Plan) -> list[int]:
    from portal.services.plans import policy_for

    policy = policy_for(plan.practice_id)
    return policy.retries if policy else [3, 5, 7]


def document_sha256(plan: Plan) -> str:
    return seal.sha256_hex(document_html(plan).encode("utf-8"))


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
    record_event(plan, "consented", actor, consent_version=CONSENT_VERSION)


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
        raise SigningRefused(
            _l("The drawn signature could not be read. Please draw it again.")
        ) from exc
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise SigningRefused(_l("The drawn signature could not be read. Please draw it again."))
    return png


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
) -> None:
    """Record the signature of the document whose hash the patient's page showed."""
    if plan.status != "pending_signature" or plan.signed_at is not None:
        raise SigningRefused(_l("This agreement has already been signed."))
    if "consented_at" not in (plan.evidence or {}):
        raise SigningRefused(_l("Please first agree to receive documents electronically."))
    if shown_sha256 != document_sha256(plan):
        raise SigningRefused(
            _l("The agreement changed while you were reading it. Please read it again.")
        )
    patient = plan.invoice.patient
    if not typed_name.strip() or _folded(patient.last_name) not in _folded(typed_name):
        raise SigningRefused(_l("Type your full name as it appears on the bill."))
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
        signer_ip=actor.ip_address,
        user_agent=user_agent[:300],
        time_zone=time_zone[:64],
        verification_method=verification_method,
        signature="drawn" if signature_png else "typed",
    )


def _certificate_paths(practice) -> tuple:
    """The sealing key and certificate, as paths or PEM bytes (see `seal_keys`)."""
    pair = seal_keys.for_practice(practice)
    return pair.key, pair.cert


def finalize(plan: Plan) -> bytes:
    """The sealed PDF of the signed agreement with its certificate page (made once)."""
    if plan.agreement_pdf:
        return plan.agreement_pdf
    if plan.signed_at is None:
        raise SigningRefused(_l("This agreement has not been signed yet."))
    document = document_html(plan)
    with rendering_in(plan.language):
        html = render_template(
            "agreements/pdf.html",
            plan=plan,
            document=document,
            evidence=plan.evidence,
            signature=base64.b64encode(plan.signature_png).decode() if plan.signature_png else None,
        )
    pdf = html_to_pdf(html, base_url=current_app.static_folder)
    pair = seal_keys.for_practice(plan.invoice.practice)
    sealed = seal.seal_pdf(
        pdf,
        pair.key,
        pair.cert,
        pair.passphrase,
        reason=f"Payment plan {plan.id} signed by {plan.signer_name}",
        location=plan.invoice.practice.name,
        name=plan.invoice.practice.name,
    )
    plan.agreement_pdf, plan.agreement_pdf_sha256 = sealed, seal.sha256_hex(sealed)
    db.session.commit()
    return sealed


def check(plan: Plan) -> tuple[bool, seal.SealCheck | None]:
    """Staff check: (stored hash matches, seal verdict) for the stored PDF."""
    if not plan.agreement_pdf:
        return False, None
    _, cert = _certificate_paths(plan.invoice.practice)
    return (
        seal.sha256_hex(plan.agreement_pdf) == plan.agreement_pdf_sha256,
        seal.verify_seal(plan.agreement_pdf, cert),
    )


def filename(plan: Plan) -> str:
    return f"payment-plan-{plan.invoice.number}-{plan.id}.pdf"


def signed_on(plan: Plan) -> datetime | None:
    return plan.signed_at
