"""Sealing agreement PDFs with pyHanko: real WeasyPrint PDFs, real keys, offline validation."""

import hashlib
import re
import stat
from io import BytesIO

import pytest
import weasyprint
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import SignatureCoverageLevel, async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from portal.gateways import seal
from portal.gateways.seal import (
    SEAL_FIELD,
    SealError,
    ensure_practice_certificate,
    seal_pdf,
    sha256_hex,
    verify_seal,
)
from tests.support.pdf import pdf_text

PRACTICE = "Praxis Dr. Anna Muster"


@pytest.fixture(scope="module")
def agreement():
    html = "<h1>Agreement</h1><p>Monthly instalments of EUR 120.00 until paid in full.</p>"
    return weasyprint.HTML(string=html).write_pdf()


@pytest.fixture(scope="module")
def practice(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seal")
    return ensure_practice_certificate(
        folder / "seal.key", folder / "seal.crt", PRACTICE, "Praxis Muster", "DE"
    )


@pytest.fixture(scope="module")
def sealed(agreement, practice):
    key, cert = practice
    return seal_pdf(agreement, key, cert, reason="Agreement signed", location="Berlin")


def byte_range(pdf: bytes) -> list[int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    return [int(n) for n in match.groups()]


def draw_over_page(pdf: bytes) -> bytes:
    """Append an incremental update that paints a box over the first page."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    box = writer.add_object(generic.StreamObject(stream_data=b"q 1 0 0 rg 0 0 300 300 re f Q"))
    writer.add_stream_to_page(0, box)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_sealed_agreement_verifies(sealed, practice):
    check = verify_seal(sealed, practice[1])
    assert check.ok
    assert check.intact and check.valid and check.trusted and check.coverage_ok
    assert check.signer == PRACTICE
    assert check.signed_at is not None
    assert "UNTOUCHED" in check.summary


def test_pyhanko_validates_the_seal_directly(sealed, practice):
    reader = PdfFileReader(BytesIO(sealed))
    [signature] = reader.embedded_signatures
    assert signature.field_name == SEAL_FIELD
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.sig_object["/Reason"] == "Agreement signed"
    assert signature.sig_object["/Location"] == "Berlin"

    context = ValidationContext(
        trust_roots=[load_cert_from_pemder(str(practice[1]))],
        allow_fetching=False,
        revocation_mode="none",
    )
    status = seal.run_coroutine(lambda: async_validate_pdf_signature(signature, context))
    assert status.bottom_line
    assert status.md_algorithm == "sha256"
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE


def test_seal_keeps_the_document_printable_and_readable(agreement, sealed):
    assert sealed.startswith(agreement)  # an incremental update, the original is untouched
    reader = PdfFileReader(BytesIO(sealed))
    assert not reader.encrypted
    assert "/Perms" not in reader.root  # no DocMDP certification lock
    assert "/Reference" not in reader.embedded_signatures[0].sig_object
    text = pdf_text(sealed)
    assert "Agreement" in text
    assert "Monthly instalments of EUR 120.00" in text


@pytest.mark.parametrize("where", ["header", "before_signature", "after_signature"])
def test_flipped_byte_in_signed_range_breaks_the_seal(sealed, practice, where):
    start1, length1, start2, length2 = byte_range(sealed)
    offset = {
        "header": 10,  # inside the binary comment on line two: still parses
        "before_signature": start1 + length1 // 2,
        "after_signature": start2 + length2 // 2,
    }[where]
    tampered = bytearray(sealed)
    tampered[offset] ^= 0x01
    check = verify_seal(bytes(tampered), practice[1])
    assert not check.ok
    assert not check.intact


def test_appended_page_content_breaks_the_seal(sealed, practice):
    tampered = draw_over_page(sealed)
    assert tampered.startswith(sealed)
    check = verify_seal(tampered, practice[1])
    assert not check.intact
    assert not check.coverage_ok
    assert not check.ok
    assert check.valid  # the signature over the original revision itself is fine


def test_other_trust_root_is_not_trusted(sealed, tmp_path):
    _key, stranger = ensure_practice_certificate(
        tmp_path / "other.key", tmp_path / "other.crt", PRACTICE, "Praxis Muster", "DE"
    )
    check = verify_seal(sealed, stranger)
    assert check.intact
    assert not check.trusted
    assert not check.valid
    assert not check.ok


def test_unsealed_and_garbage_documents_are_reported_not_raised(agreement, practice):
    assert not verify_seal(agreement, practice[1]).ok
    assert "no Saldo seal" in verify_seal(agreement, practice[1]).summary
    assert not verify_seal(b"not a pdf", practice[1]).ok


def test_certificate_is_created_once_with_private_key_file(tmp_path):
    key, cert = tmp_path / "keys" / "seal.key", tmp_path / "keys" / "seal.crt"
    assert ensure_practice_certificate(key, cert, PRACTICE, "Praxis Muster", "DE") == (key, cert)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in key.read_bytes()
    assert b"BEGIN CERTIFICATE" in cert.read_bytes()
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (key, cert)}

    again = ensure_practice_certificate(key, str(cert), "Someone else", "Other", "FR")

    assert again == (key, cert)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (key, cert)} == before


def test_half_a_key_pair_is_refused(tmp_path):
    key, cert = tmp_path / "seal.key", tmp_path / "seal.crt"
    key.write_bytes(b"existing key")
    with pytest.raises(SealError, match=r"seal\.crt"):
        ensure_practice_certificate(key, cert, PRACTICE, "Praxis Muster", "DE")
    assert key.read_bytes() == b"existing key"


def test_passphrase_protected_key(agreement, tmp_path):
    key, cert = ensure_practice_certificate(
        tmp_path / "seal.key",
        tmp_path / "seal.crt",
        PRACTICE,
        "Praxis Muster",
        "DE",
        passphrase="correct horse",
    )
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    assert verify_seal(seal_pdf(agreement, key, cert, passphrase="correct horse"), cert).ok
    with pytest.raises(SealError):
        seal_pdf(agreement, key, cert, passphrase="wrong")


def test_sha256_hex():
    assert sha256_hex(b"") == hashlib.sha256(b"").hexdigest()
    assert sha256_hex(b"agreement") == hashlib.sha256(b"agreement").hexdigest()
    assert len(sha256_hex(b"x")) == 64
