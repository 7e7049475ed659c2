"""A small local certificate authority for the seal tests: a root CA that issues the sealing
certificate and the TSA certificate, and publishes its CRL and an OCSP responder over HTTP
(a threaded server on a free port), so a sealed PDF can reach PAdES B-LT with real
revocation information, fetched at sealing and embedded."""

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from tests.support import servers

NOW = dt.datetime.now(dt.UTC)


@dataclass
class LocalCa:
    folder: Path
    base_url: str
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    #: serial numbers the CA revoked, with when
    revoked: dict[int, dt.datetime] = field(default_factory=dict)
    #: what the HTTP server was asked: "crl" or "ocsp", one entry per request
    requests: list[str] = field(default_factory=list)
    #: every certificate it issued, by serial number (the OCSP responder's records)
    issued: dict[int, x509.Certificate] = field(default_factory=dict)
    #: False: the certificates it issues name no OCSP responder, so checkers use the CRL
    with_ocsp: bool = True

    @property
    def cert_path(self) -> Path:
        return self.folder / "ca.crt"

    def issue(self, name: str, key, *, timestamping: bool = False) -> x509.Certificate:
        """A certificate for `key`, with the CA's CRL and OCSP addresses in it."""
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(NOW + dt.timedelta(days=60))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                _key_usage(digital_signature=True, content_commitment=True),
                critical=True,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            [x509.UniformResourceIdentifier(f"{self.base_url}/ca.crl")],
                            None,
                            None,
                            None,
                        )
                    ]
                ),
                critical=False,
            )
        )
        if self.with_ocsp:
            builder = builder.add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(f"{self.base_url}/ocsp"),
                        )
                    ]
                ),
                critical=False,
            )
        if timestamping:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
        return builder.sign(self.key, hashes.SHA256())

    def crl(self) -> bytes:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
            .next_update(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
            .add_extension(x509.CRLNumber(len(self.requests) + 1), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        for serial, when in self.revoked.items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def issue_seal(self, name: str) -> "IssuedPair":
        """A sealing key (ECDSA P-256) and its certificate, as files."""
        return self._pair("seal", name, ec.generate_private_key(ec.SECP256R1()), False)

    def issue_tsa(self) -> "IssuedPair":
        """A TSA key (RSA: pyHanko's test TSA signs with RSA) and its certificate, as files."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._pair("tsa", "Saldo Test TSA (CA-issued)", key, True)

    def _pair(self, stem: str, name: str, key, timestamping: bool) -> "IssuedPair":
        leaf = self.issue(name, key, timestamping=timestamping)
        self.issued[leaf.serial_number] = leaf
        pair = IssuedPair(self.folder / f"{stem}.key", self.folder / f"{stem}.crt")
        pair.key_path.write_bytes(_pem_key(key))
        pair.cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        return pair

    def ocsp_answer(self, request_der: bytes) -> bytes:
        request = ocsp.load_der_ocsp_request(request_der)
        cert = self.issued.get(request.serial_number)
        if cert is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED
            ).public_bytes(serialization.Encoding.DER)
        revoked_at = self.revoked.get(request.serial_number)
        now = dt.datetime.now(dt.UTC)
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=cert,
                issuer=self.cert,
                algorithm=request.hash_algorithm,
                cert_status=ocsp.OCSPCertStatus.REVOKED if revoked_at else ocsp.OCSPCertStatus.GOOD,
                this_update=now - dt.timedelta(minutes=1),
                next_update=now + dt.timedelta(hours=12),
                revocation_time=revoked_at,
                revocation_reason=None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.cert)
        )
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _key_usage(**on: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{name: on.get(name, False) for name in names})


def _pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass(frozen=True)
class IssuedPair:
    key_path: Path
    cert_path: Path


@contextmanager
def local_ca(folder: Path, with_ocsp: bool = True):
    """A root CA with its CRL at <base>/ca.crl and (unless `with_ocsp` is False) OCSP at
    <base>/ocsp."""
    folder.mkdir(parents=True, exist_ok=True)
    holder: dict[str, LocalCa] = {}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: bytes, kind: str):
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            ca = holder["ca"]
            if self.path != "/ca.crl":
                self.send_error(404)
                return
            ca.requests.append("crl")
            self._answer(ca.crl(), "application/pkix-crl")

        def do_POST(self):
            ca = holder["ca"]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ca.requests.append("ocsp")
            self._answer(ca.ocsp_answer(body), "application/ocsp-response")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Saldo Test Root CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=2))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    ca = LocalCa(folder, f"http://127.0.0.1:{server.server_port}", key, cert, with_ocsp=with_ocsp)
    ca.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    holder["ca"] = ca

    with servers.served(server):
        yield ca
