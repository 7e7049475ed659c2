"""PAdES B-LT with a real chain: a local CA issues the sealing and the TSA certificates and
publishes its CRL and OCSP over HTTP; the revocation information fetched at sealing is
embedded, so the PDF validates later with pyHanko from what it holds, offline."""

import datetime as dt
from io import BytesIO

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore, async_validate_pdf_signature

from portal.gateways import timestamps
from portal.gateways.seal import SealError, run_coroutine
from portal.services.plans import agreement_seal, agreements
from tests import factories
from tests.services.plans.test_agreement_evidence import _signed
from tests.support.pki import local_ca
from tests.support.tsa import local_tsa

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _configure(app, ca, tsa, ltv=True):
    pair = ca.issue_seal("Studio Dentistico Rossi")
    app.config.update(
        SEAL_KEY_PATH=str(pair.key_path),
        SEAL_CERT_PATH=str(pair.cert_path),
        SEAL_CA_CERT_PATH=str(ca.cert_path),
        SEAL_TSA_URL=tsa.url,
        SEAL_TSA_CERT_PATH=str(ca.cert_path),
        SEAL_LTV=ltv,
    )
    return pair


def _offline_status(pdf: bytes, root_path):
    """pyHanko's own verdict from the PDF alone: no fetching, revocation info required."""
    reader = PdfFileReader(BytesIO(pdf))
    (signature,) = reader.embedded_signatures
    dss = DocumentSecurityStore.read_dss(reader)
    context = dss.as_validation_context(
        {
            "trust_roots": [load_cert_from_pemder(str(root_path))],
            "allow_fetching": False,
            "revocation_mode": "hard-fail",
        }
    )
    # through the gateway's runner: a browser test may have an event loop in this process
    return dss, run_coroutine(lambda: async_validate_pdf_signature(signature, context, context))


@pytest.mark.parametrize(
    "with_ocsp,asked,embedded",
    [
        (True, ["ocsp", "ocsp"], (2, 0)),  # one OCSP answer for the seal, one for the TSA
        (False, ["crl"], (0, 1)),  # one CRL covers both
    ],
)
def test_a_ca_issued_seal_and_tsa_reach_b_lt_with_revocation_info_embedded(
    app, tmp_path, with_ocsp, asked, embedded
):
    with local_ca(tmp_path / "ca", with_ocsp) as ca, local_tsa(tmp_path, ca=ca) as tsa:
        _configure(app, ca, tsa)
        plan, _ = _signed(factories.ITALY, "it", "sepa_debit", 60000, 6)
        pdf = agreements.finalize(plan)
        fetched = list(ca.requests)
    # the CA and the TSA are gone: what follows uses only the PDF
    assert fetched == asked
    dss, status = _offline_status(pdf, ca.cert_path)
    assert (len(dss.ocsps), len(dss.crls)) == embedded
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert status.signing_cert.subject.native["common_name"] == "Studio Dentistico Rossi"
    ts = status.timestamp_validity
    assert (ts.intact, ts.valid, ts.trusted) == (True, True, True)
    assert abs(ts.timestamp - dt.datetime.now(dt.UTC)) < dt.timedelta(hours=1)

    check = agreements.check(plan)
    assert check.ok and (check.time.level, check.time.timestamp_ok) == ("B-LT", True)

    tampered = bytearray(pdf)
    tampered[len(pdf) // 3] ^= 0x01
    _, broken = _offline_status(bytes(tampered), ca.cert_path)
    assert (broken.intact, broken.bottom_line) == (False, False)
    _, cert, _ = agreement_seal.certificate_paths(plan.invoice.practice)
    assert timestamps.check(bytes(tampered), ca.cert_path, ca.cert_path).level == "none"
    assert str(cert) == app.config["SEAL_CERT_PATH"]  # the configured pair sealed it


def test_without_ltv_the_same_chain_is_b_t_and_fails_offline_revocation(app, tmp_path):
    with local_ca(tmp_path / "ca") as ca, local_tsa(tmp_path, ca=ca) as tsa:
        _configure(app, ca, tsa, ltv=False)
        plan, _ = _signed(factories.USA, "en", "card", 154500, 6)
        pdf = agreements.finalize(plan)
        assert ca.requests == []  # nothing fetched at sealing
    assert agreements.check(plan).time.level == "B-T"
    reader = PdfFileReader(BytesIO(pdf))
    assert "/DSS" not in reader.root


def test_a_seal_checked_against_another_ca_is_not_b_lt(app, tmp_path):
    with local_ca(tmp_path / "ca") as ca, local_tsa(tmp_path, ca=ca) as tsa:
        _configure(app, ca, tsa)
        plan, _ = _signed(factories.ITALY, "it", "card", 60000, 6)
        pdf = agreements.finalize(plan)
    with local_ca(tmp_path / "other") as other:
        check = timestamps.check(pdf, other.cert_path, ca.cert_path)
    assert (check.level, check.seal_ok) == ("none", False)


def test_a_revoked_seal_certificate_is_not_used_to_seal(app, tmp_path):
    with local_ca(tmp_path / "ca") as ca, local_tsa(tmp_path, ca=ca) as tsa:
        pair = _configure(app, ca, tsa)
        serial = load_cert_from_pemder(str(pair.cert_path)).serial_number
        ca.revoked[serial] = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        plan, _ = _signed(factories.ITALY, "it", "card", 60000, 6)
        with pytest.raises(SealError) as refused:
            agreements.finalize(plan)
    message = str(refused.value)
    assert message.startswith("Sealing failed: The signer's certificate could not be validated (")
    assert "revoked" in message.lower()
    assert plan.agreement_pdf is None
