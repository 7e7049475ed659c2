"""Trusted time for sealed agreements: RFC 3161 timestamps from a Time Stamping Authority.

With `SEAL_TSA_URL` set, the seal carries a signature timestamp from that TSA, which makes it
PAdES B-T: the time the agreement was sealed is vouched for by a third party, not claimed by
the server. With `SEAL_LTV` also on, the certificates and revocation information (CRLs, OCSP
responses) needed to check the seal later are fetched at sealing and embedded in the PDF's
document security store (PAdES B-LT).

`check` reads a sealed PDF and names the level it reaches, with the timestamp's time. The
TSA's certificate (`SEAL_TSA_CERT_PATH`, or the root of the CA that issued it) is the trust
root for the timestamp; without it the timestamp is reported but not trusted. B-LT is named
only when the seal and the timestamp validate offline from what the PDF itself holds, with
revocation information required for every certificate that is not a trust root.

Configuration keys (read by callers): SEAL_TSA_URL, SEAL_TSA_CERT_PATH, SEAL_TSA_USERNAME,
SEAL_TSA_PASSWORD, SEAL_TSA_TIMEOUT, SEAL_LTV.
"""

import datetime as dt
import os
from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation import DocumentSecurityStore, async_validate_pdf_signature
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from portal.gateways.seal import SEAL_FIELD, _load_trust_root, run_coroutine


@dataclass(frozen=True)
class TimestampCheck:
    """What a sealed PDF proves about time; `level` is "B-B", "B-T" or "B-LT" for a sound
    seal, "none" when the seal is broken or untrusted (a timestamp then proves nothing)."""

    level: str
    #: the seal is intact and its signer trusted
    seal_ok: bool
    #: a timestamp token is present, matches the signature and chains to the TSA root
    timestamp_ok: bool
    #: the time the TSA vouches for (None without a timestamp)
    timestamped_at: dt.datetime | None
    summary: str


def timestamper(
    url: str | None,
    username: str | None = None,
    password: str | None = None,
    timeout: int = 10,
) -> TimeStamper | None:
    """An RFC 3161 client for the TSA at `url` (None when no TSA is configured)."""
    if not url:
        return None
    auth = (username, password) if username else None
    return RequestsHTTPTimeStamper(url, timeout=timeout, auth=auth)


def validation_context(
    *cert_paths: str | os.PathLike | bytes, fetch: bool = False
) -> ValidationContext:
    """Trust exactly the given certificates; fetch revocation information (CRLs, OCSP) only
    if asked, with plain blocking requests (no client session left open after sealing)."""
    return ValidationContext(
        trust_roots=[_load_trust_root(path) for path in cert_paths if path],
        allow_fetching=fetch,
        revocation_mode="soft-fail" if fetch else "none",
        fetcher_backend=RequestsFetcherBackend(per_request_timeout=10) if fetch else None,
    )


def check(
    pdf_bytes: bytes,
    signer_cert_path: str | os.PathLike | bytes,
    tsa_cert_path: str | os.PathLike | None,
) -> TimestampCheck:
    """The PAdES level `pdf_bytes` reaches, checked offline against the two trust roots."""
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes))
        sealed = next((s for s in reader.embedded_signatures if s.field_name == SEAL_FIELD), None)
        if sealed is None:
            return TimestampCheck("", False, False, None, f"no {SEAL_FIELD} seal")
        signer_context = validation_context(signer_cert_path)
        ts_context = validation_context(tsa_cert_path) if tsa_cert_path else signer_context
        status = run_coroutine(
            lambda: async_validate_pdf_signature(sealed, signer_context, ts_context)
        )
        seal_ok = bool(status.intact and status.valid and status.trusted)
        ts = status.timestamp_validity
        timestamp_ok = bool(ts is not None and ts.intact and ts.valid and ts.trusted)
        long_term = (
            seal_ok and timestamp_ok and _long_term(reader, sealed, signer_cert_path, tsa_cert_path)
        )
    except Exception as exc:  # damaged files fail in many ways
        return TimestampCheck("", False, False, None, f"unreadable: {type(exc).__name__}")
    level = "B-B" if seal_ok else "none"
    if seal_ok and timestamp_ok:
        level = "B-LT" if long_term else "B-T"
    return TimestampCheck(
        level,
        seal_ok,
        timestamp_ok,
        ts.timestamp if ts is not None else None,
        status.summary(),
    )


def _long_term(reader, sealed, signer_root, tsa_root) -> bool:
    """The seal and its timestamp validate from the PDF's DSS alone: nothing fetched, and
    revocation information required for every certificate below a trust root."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return False
    if not (dss.crls or dss.ocsps):
        return False

    def offline(*roots):
        return dss.as_validation_context(
            {
                "trust_roots": [_load_trust_root(root) for root in roots if root],
                "allow_fetching": False,
                "revocation_mode": "hard-fail",
            }
        )

    signer_context = offline(signer_root)
    ts_context = offline(tsa_root or signer_root)
    status = run_coroutine(lambda: async_validate_pdf_signature(sealed, signer_context, ts_context))
    ts = status.timestamp_validity
    return bool(
        status.intact
        and status.valid
        and status.trusted
        and ts is not None
        and ts.valid
        and ts.trusted
    )
