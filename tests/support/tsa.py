"""A local RFC 3161 Time Stamping Authority over HTTP: pyHanko's DummyTimeStamper (RSA only; it
signs every request with its own certificate) behind a small threaded HTTP server. Its
certificate is self-signed, or issued by a local CA (`tests.support.pki`) that publishes its
revocation status."""

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.sign.timestamps import DummyTimeStamper

from tests.support import servers


@dataclass(frozen=True)
class LocalTsa:
    url: str
    #: the certificate to trust for its timestamps: its own, or the root of the CA that issued it
    cert_path: Path
    #: how many timestamp requests it answered
    answered: list


def _tsa_certificate(folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Saldo Test TSA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "tsa.key", folder / "tsa.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@contextmanager
def local_tsa(folder: Path, ca=None):
    """Serve a TSA on a free port; yields its URL and the certificate to trust. With `ca` (a
    `pki.LocalCa`) its certificate is issued by that CA and the CA's is embedded in tokens."""
    if ca is None:
        key_path, cert_path = _tsa_certificate(folder)
        trusted, chain = cert_path, []
    else:
        pair = ca.issue_tsa()
        key_path, cert_path = pair.key_path, pair.cert_path
        trusted, chain = ca.cert_path, [load_cert_from_pemder(str(ca.cert_path))]
    stamper = DummyTimeStamper(
        tsa_cert=load_cert_from_pemder(str(cert_path)),
        tsa_key=load_private_key_from_pemder(str(key_path), passphrase=None),
        certs_to_embed=chain,
    )
    answered: list = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            response = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            answered.append(len(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with servers.served(server):
        yield LocalTsa(f"http://127.0.0.1:{server.server_port}/tsa", trusted, answered)
