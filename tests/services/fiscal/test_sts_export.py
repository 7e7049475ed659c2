"""The Sistema TS file for a month with card and cash payments, a refund, an opposition and a
payment made before its invoice: it matches the schema and a file written by hand."""

import base64
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from portal.extensions import db
from portal.services.core.audit import SYSTEM, Actor
from portal.services.core.refusals import Refused
from portal.services.fiscal import documents, opposition, sts
from portal.services.fiscal.profile import FiscalRefused
from tests import factories
from tests import fiscal_factories as ff

EXPECTED = Path(__file__).resolve().parents[2] / "fixtures" / "sts_2027-01.xml"
PATIENT = Actor("patient", "link:1", "203.0.113.9")


def january(stamp_charged=True):
    """The month of the hand-built file; returns the practice."""
    practice = ff.italian_practice(stamp_charged=stamp_charged)
    giulia = ff.patient_with_cf(practice)
    luca = ff.patient_with_cf(practice, ff.OTHER_PATIENT_CF, first_name="Luca", last_name="Verdi")
    first = factories.invoice(giulia, amounts=(12000, 3450), number="A-1")
    card = ff.paid(first, 15450, "card_terminal", at=datetime(2027, 1, 10, 9))
    invoice_1 = documents.issue_invoice(card, SYSTEM, today=date(2027, 1, 10))
    second = factories.invoice(luca, amounts=(6000,), number="A-2")
    opposition.record(second, True, "notice", "it", PATIENT)
    db.session.commit()
    cash = ff.paid(second, 6000, "cash", at=datetime(2027, 1, 12, 16))
    documents.issue_invoice(cash, SYSTEM, today=date(2027, 1, 12))
    refund = ff.refunded(card, 5000, at=datetime(2027, 1, 20, 10))
    documents.issue_credit_note(refund, SYSTEM, today=date(2027, 1, 20))
    third = factories.invoice(giulia, amounts=(9000,), number="A-3")
    early = ff.paid(third, 9000, "cheque", at=datetime(2026, 12, 30, 11))
    documents.issue_invoice(early, SYSTEM, today=date(2027, 1, 31))
    february = factories.invoice(giulia, amounts=(4000,), number="A-4")
    later = ff.paid(february, 4000, "card_terminal", at=datetime(2027, 2, 1, 9))
    documents.issue_invoice(later, SYSTEM, today=date(2027, 2, 1))
    assert invoice_1.label == "1/2027"
    return practice


def test_month_export_matches_the_hand_built_file_and_the_schema(app):
    practice = january()
    xml = sts.build(practice, "2027-01")
    assert xml.decode("utf-8") == EXPECTED.read_text(encoding="utf-8")
    schema = etree.XMLSchema(etree.parse(str(sts.SCHEMA)))
    assert schema.validate(etree.fromstring(xml)), schema.error_log


def test_the_schema_rejects_what_the_specification_does_not_allow(app):
    schema = etree.XMLSchema(etree.parse(str(sts.SCHEMA)))
    good = EXPECTED.read_bytes()
    assert schema.validate(etree.fromstring(good))
    for wrong in (
        good.replace(b"<pagamentoTracciato>SI", b"<pagamentoTracciato>FORSE"),
        good.replace(b"<importo>152.50</importo>", b"<importo>152.5</importo>"),
        good.replace(b"<flagOperazione>R</flagOperazione>", b"<flagOperazione>X</flagOperazione>"),
        good.replace(b"<pIva>07654320584</pIva>", b"<pIva>7654320584</pIva>", 1),
    ):
        assert wrong != good
        assert not schema.validate(etree.fromstring(wrong))


def test_nothing_to_send_and_a_bad_month(app):
    practice = ff.italian_practice()
    with pytest.raises(FiscalRefused):
        sts.build(practice, "2027-03")
    with pytest.raises(FiscalRefused):
        sts.build(practice, "2027-13")


def _certificate(tmp_path):
    # SanitelCF.cer carries a 1024-bit RSA key: 128 bytes encrypted, 172 in base64, within
    # the 256 characters cfType allows (a 2048-bit key would not fit)
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Sanitel test")])
    now = datetime(2026, 1, 1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "SanitelCF.cer"
    path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    return key, path


def test_codici_fiscali_are_encrypted_with_the_configured_certificate(app, tmp_path):
    key, path = _certificate(tmp_path)
    practice = january()
    app.config["STS_CERTIFICATE_PATH"] = str(path)
    root = etree.fromstring(sts.build(practice, "2027-01"))

    def clear(text):
        return key.decrypt(base64.b64decode(text), padding.PKCS1v15()).decode("ascii")

    assert clear(root.findtext("proprietario/cfProprietario")) == ff.PRACTICE_CF
    cittadini = [clear(e.text) for e in root.iter("cfCittadino")]
    assert cittadini == [ff.PATIENT_CF, ff.PATIENT_CF, ff.PATIENT_CF]
    assert len(root.findall("documentoSpesa")) == 4


def test_a_file_that_fails_the_schema_is_refused_with_its_problems(app, monkeypatch):
    practice = january()
    monkeypatch.setattr(sts.xsd, "errors", lambda xml, schema: ["line 3: bad", "line 9: worse"])
    with pytest.raises(sts.InvalidExport) as refused:
        sts.build(practice, "2027-01")
    assert isinstance(refused.value, Refused) and refused.value.code == "fiscal_export"
    assert str(refused.value) == (
        "The Sistema TS file failed its check against the schema, so it was not created: "
        "line 3: bad; line 9: worse"
    )
