"""The sealed agreement PDF: the stored document and consent embedded byte for byte, a
certificate page with their hashes, the practice's PAdES seal and, with a TSA configured,
an RFC 3161 timestamp.

Anyone holding the PDF can recompute what the patient saw: the embedded file
`agreement.html` is the exact document shown on the sign page and its SHA-256 is the one
printed on the certificate page and recorded at signing (`pdfdetach -save 1 file.pdf`,
then `sha256sum agreement.html`). `consent.html` is the consent text shown.
"""

import base64
import json
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.gateways import seal, timestamps
from portal.gateways.pdf import embedded_files, html_to_pdf
from portal.i18n import rendering_in
from portal.models import Plan
from portal.services.plans import seal_keys
from portal.services.plans.agreements import SigningRefused

DOCUMENT_FILE = "agreement.html"
CONSENT_FILE = "consent.html"
EVIDENCE_FILE = "evidence.json"


@dataclass(frozen=True)
class AgreementCheck:
    """The staff check: bytes compared, not re-rendered."""

    #: the stored PDF still has the SHA-256 recorded when it was sealed
    pdf_hash_ok: bool
    #: the PDF's embedded agreement is byte for byte the stored document shown, and its
    #: hash is the one recorded at signing
    document_ok: bool
    #: the embedded consent is the stored consent text
    consent_ok: bool
    seal: seal.SealCheck | None
    time: timestamps.TimestampCheck | None

    @property
    def ok(self) -> bool:
        return bool(self.pdf_hash_ok and self.document_ok and self.consent_ok and self.seal.ok)


def certificate_paths(practice):
    """The sealing key and certificate (paths or PEM bytes) and the key's passphrase: from
    config, or one pair per practice kept in the database (see `seal_keys`)."""
    pair = seal_keys.for_practice(practice)
    return pair.key, pair.cert, pair.passphrase


def trust_root(cert):
    """What a practice's seal chains to: the configured CA (`SEAL_CA_CERT_PATH`, for a
    CA-issued `SEAL_CERT_PATH`), else the sealing certificate itself (self-signed)."""
    return current_app.config.get("SEAL_CA_CERT_PATH") or cert


def _timestamping(cert):
    config = current_app.config
    stamper = timestamps.timestamper(
        config.get("SEAL_TSA_URL"),
        config.get("SEAL_TSA_USERNAME"),
        config.get("SEAL_TSA_PASSWORD"),
        int(config.get("SEAL_TSA_TIMEOUT", 10)),
    )
    context = None
    if stamper is not None and config.get("SEAL_LTV"):
        context = timestamps.validation_context(
            trust_root(cert), config.get("SEAL_TSA_CERT_PATH"), fetch=True
        )
    return stamper, context


def finalize(plan: Plan) -> bytes:
    """The sealed PDF of the signed agreement with its certificate page (made once)."""
    if plan.agreement_pdf:
        return plan.agreement_pdf
    if plan.signed_at is None or plan.document_html is None:
        raise SigningRefused(_l("This agreement has not been signed yet."))
    evidence = dict(plan.evidence or {})
    with rendering_in(plan.language):
        html = render_template(
            "agreements/pdf.html",
            plan=plan,
            document=plan.document_html.decode("utf-8"),
            evidence=evidence,
            document_file=DOCUMENT_FILE,
            consent_file=CONSENT_FILE,
            signature=base64.b64encode(plan.signature_png).decode() if plan.signature_png else None,
        )
    files = [(DOCUMENT_FILE, plan.document_html, "The agreement exactly as shown and signed")]
    if plan.consent_html:
        files.append((CONSENT_FILE, plan.consent_html, "The consent to electronic records shown"))
    files.append((EVIDENCE_FILE, json.dumps(evidence, sort_keys=True).encode(), "Evidence"))
    pdf = html_to_pdf(html, base_url=current_app.static_folder, attachments=files)
    key, cert, passphrase = certificate_paths(plan.invoice.practice)
    stamper, context = _timestamping(cert)
    sealed = seal.seal_pdf(
        pdf,
        key,
        cert,
        passphrase,
        reason=f"Payment plan {plan.id} signed by {plan.signer_name}",
        location=plan.invoice.practice.name,
        name=plan.invoice.practice.name,
        timestamper=stamper,
        validation_context=context,
    )
    plan.agreement_pdf, plan.agreement_pdf_sha256 = sealed, seal.sha256_hex(sealed)
    # the sealed PDF is stored before it is sent to anyone
    db.session.commit()
    return sealed


def check(plan: Plan) -> AgreementCheck:
    """Staff check of the stored PDF: its hash, the embedded document and consent against
    the stored bytes, the seal, and the timestamp level."""
    if not plan.agreement_pdf:
        return AgreementCheck(False, False, False, None, None)
    pdf = plan.agreement_pdf
    try:
        files = embedded_files(pdf)
    except Exception:  # a damaged PDF has no readable attachments
        files = {}
    shown = files.get(DOCUMENT_FILE)
    document_ok = (
        shown is not None
        and shown == plan.document_html
        and seal.sha256_hex(shown)
        == plan.document_sha256
        == (plan.evidence or {}).get("document_sha256")
    )
    consent_ok = files.get(CONSENT_FILE) == plan.consent_html
    _, cert, _ = certificate_paths(plan.invoice.practice)
    return AgreementCheck(
        pdf_hash_ok=seal.sha256_hex(pdf) == plan.agreement_pdf_sha256,
        document_ok=document_ok,
        consent_ok=consent_ok,
        seal=seal.verify_seal(pdf, trust_root(cert)),
        time=timestamps.check(pdf, trust_root(cert), current_app.config.get("SEAL_TSA_CERT_PATH")),
    )
