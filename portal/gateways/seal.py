"""Sealing signed payment-plan agreements: PAdES signatures with pyHanko.

The practice signs ("seals") each agreement PDF with its own certificate, so a
patient or auditor can later show that the document is the one the practice
issued and that nobody changed it since.

* `ensure_practice_certificate` creates a self-signed ECDSA P-256 certificate
  and its key (PEM, key file mode 0600) the first time, and leaves existing
  files alone after that.
* `seal_pdf` adds an invisible approval signature (PAdES baseline, SHA-256) in
  an incremental update. It does not certify the document (no DocMDP lock) and
  does not encrypt it, so the result can still be printed and saved.
* `verify_seal` checks the seal offline: the certificate must chain to the
  given trust root (a self-signed certificate is trusted only when passed in
  explicitly), nothing is fetched from the network and no revocation
  information is required.

Keys and certificates are given as file paths or as PEM bytes (the ones kept in the
database by `portal.services.plans.seal_keys`). Configuration keys (read by callers):
SEAL_KEY_PATH, SEAL_CERT_PATH, SEAL_KEY_PASSPHRASE.
"""

import asyncio
import datetime as dt
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portal.clock import utcnow
from portal.gateways.lazy import LazyModule

# pyHanko (and the aiohttp it brings) is imported at the first seal or check, not at boot
keys = LazyModule("pyhanko.keys")
incremental_writer = LazyModule("pyhanko.pdf_utils.incremental_writer")
pdf_reader = LazyModule("pyhanko.pdf_utils.reader")
signers = LazyModule("pyhanko.sign.signers")
fields = LazyModule("pyhanko.sign.fields")
general = LazyModule("pyhanko.sign.general")
validation = LazyModule("pyhanko.sign.validation")
certvalidator = LazyModule("pyhanko_certvalidator")
registry = LazyModule("pyhanko_certvalidator.registry")

SEAL_FIELD = "Saldo"
CERT_VALIDITY = dt.timedelta(days=3652)


def run_coroutine(make_coroutine):
    """Run one of pyHanko's coroutines to completion, also when the calling thread already
    has an event loop running (an async server, or a test process driving a browser)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


class SealError(Exception):
    """The practice key or certificate is missing, unreadable, or unusable."""


@dataclass(frozen=True)
class SealCheck:
    """Outcome of `verify_seal`; `ok` is the one-line verdict."""

    intact: bool  # the signed bytes are unchanged and nothing disallowed was appended
    valid: bool  # the signature is cryptographically sound and the signer is trusted
    trusted: bool  # the signer's certificate chains to the given trust root
    coverage_ok: bool  # the seal covers the whole file (or only permitted later updates)
    signer: str  # common name of the signing certificate ("" when there is no seal)
    signed_at: dt.datetime | None  # time claimed by the signer, not a trusted timestamp
    summary: str  # pyHanko's status summary, or why there is none

    @property
    def ok(self) -> bool:
        return self.intact and self.valid


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of `data`, for recording document hashes."""
    return hashlib.sha256(data).hexdigest()


def ensure_practice_certificate(
    key_path: str | os.PathLike,
    cert_path: str | os.PathLike,
    common_name: str,
    organization: str,
    country: str,
    passphrase: str | None = None,
) -> tuple[Path, Path]:
    """Create the practice's self-signed sealing certificate unless it exists.

    Both files present: left untouched. Neither present: a new ECDSA P-256 key
    (PEM, mode 0600, encrypted when `passphrase` is given) and a 10-year
    certificate are written. Only one present: `SealError`, rather than
    overwriting a key that may already have sealed documents.
    """
    key_path, cert_path = Path(key_path), Path(cert_path)
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    if key_path.exists() or cert_path.exists():
        missing = cert_path if key_path.exists() else key_path
        raise SealError(f"Sealing key and certificate must come as a pair; {missing} is missing")

    key, cert = _new_pair(common_name, organization, country)
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)  # whatever the umask
        fh.write(key_pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _new_pair(common_name: str, organization: str, country: str):
    """A new ECDSA P-256 key and its 10-year self-signed certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        ]
    )
    now = utcnow().replace(tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + CERT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # a.k.a. nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )

    return key, cert


def self_signed_pem(common_name: str, organization: str, country: str) -> tuple[bytes, bytes]:
    """A new key (PKCS#8 PEM, unencrypted: the caller protects it) and its self-signed
    certificate (PEM), as `ensure_practice_certificate` makes them."""
    key, cert = _new_pair(common_name, organization, country)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def _load_signer(key, cert, passphrase: str | None):
    """The signer for a key and certificate given as file paths or as PEM bytes."""
    secret = passphrase.encode() if passphrase else None
    if isinstance(key, bytes) and isinstance(cert, bytes):
        try:
            (signing_cert,) = keys.load_certs_from_pemder_data(cert)
            signing_key = keys.load_private_key_from_pemder_data(key, passphrase=secret)
        except (ValueError, TypeError) as exc:
            raise SealError(f"Cannot load the sealing key or certificate: {exc}") from exc
        return signers.SimpleSigner(
            signing_cert=signing_cert,
            signing_key=signing_key,
            cert_registry=registry.SimpleCertificateStore.from_certs([signing_cert]),
        )
    signer = signers.SimpleSigner.load(str(key), str(cert), key_passphrase=secret)
    if signer is None:  # pyHanko logs the cause and returns None
        raise SealError(f"Cannot load sealing key {key} / certificate {cert}")
    return signer


def _load_trust_root(cert):
    """A trust root given as a file path or as PEM bytes."""
    if isinstance(cert, bytes):
        (root,) = keys.load_certs_from_pemder_data(cert)
        return root
    return keys.load_cert_from_pemder(str(cert))


def seal_pdf(
    pdf_bytes: bytes,
    key_path: str | os.PathLike,
    cert_path: str | os.PathLike,
    passphrase: str | None = None,
    reason: str = "Payment plan agreement signed by the patient",
    location: str = "",
    name: str | None = None,
    timestamper=None,
    validation_context=None,
) -> bytes:
    """Return `pdf_bytes` with the practice's PAdES seal appended.

    An approval signature, not a certification: no DocMDP restrictions, no
    encryption, so viewers still allow printing and saving. With a `timestamper`
    (see `portal.gateways.timestamps`) the seal carries an RFC 3161 signature
    timestamp (B-T); with a `validation_context` too, the validation information is
    embedded (B-LT).
    """
    signer = _load_signer(key_path, cert_path, passphrase)
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=False,
        reason=reason,
        location=location or None,
        name=name,
        embed_validation_info=validation_context is not None,
        validation_context=validation_context,
    )
    writer = incremental_writer.IncrementalPdfFileWriter(BytesIO(pdf_bytes))
    try:
        out = run_coroutine(
            lambda: signers.async_sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
        )
    except general.SigningError as exc:
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""  # e.g. a revoked certificate
        raise SealError(f"Sealing failed: {exc}{cause}") from exc
    return out.getvalue()


def verify_seal(pdf_bytes: bytes, trusted_cert_path: str | os.PathLike) -> SealCheck:
    """Check the Saldo seal of `pdf_bytes` against the trust root in `trusted_cert_path`.

    Offline: no fetching, no revocation checks. Never raises for a bad or
    unsealed document; the answer is then a `SealCheck` that is not `ok`.
    """
    context = certvalidator.ValidationContext(
        trust_roots=[_load_trust_root(trusted_cert_path)],
        allow_fetching=False,
        revocation_mode="none",
    )
    try:
        reader = pdf_reader.PdfFileReader(BytesIO(pdf_bytes))
        seal = next((s for s in reader.embedded_signatures if s.field_name == SEAL_FIELD), None)
        if seal is None:
            return _failed(f"no {SEAL_FIELD} seal in the document")
        status = run_coroutine(lambda: validation.async_validate_pdf_signature(seal, context))
    except Exception as exc:  # damaged files fail in many ways (zlib, KeyError, PdfError, ...)
        return _failed(f"unreadable seal: {type(exc).__name__}: {exc}")

    level = validation.SignatureCoverageLevel
    coverage_ok = status.coverage == level.ENTIRE_FILE or (
        status.coverage == level.ENTIRE_REVISION and bool(status.docmdp_ok)
    )
    subject = status.signing_cert.subject
    return SealCheck(
        intact=status.intact and coverage_ok,
        valid=status.valid and status.trusted,
        trusted=status.trusted,
        coverage_ok=coverage_ok,
        signer=subject.native.get("common_name", subject.human_friendly),
        signed_at=status.signer_reported_dt,
        summary=status.summary(),
    )


def _failed(summary: str) -> SealCheck:
    return SealCheck(
        intact=False,
        valid=False,
        trusted=False,
        coverage_ok=False,
        signer="",
        signed_at=None,
        summary=summary,
    )
