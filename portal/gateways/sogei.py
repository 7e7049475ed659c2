"""Encrypting codici fiscali for the Sistema TS with the public key of SOGEI's certificate
(the "SanitelCF" certificate each sender downloads from the Sistema TS site): RSA with
PKCS#1 v1.5 padding, the result in base64, as the technical specification asks."""

import base64
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa


@cache
def _public_key(path: str) -> rsa.RSAPublicKey:
    data = Path(path).read_bytes()
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError:
        certificate = x509.load_der_x509_certificate(data)
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the Sistema TS certificate must carry an RSA key")
    return key


def encrypt_codice_fiscale(value: str, certificate_path: str) -> str:
    """`value` encrypted with the certificate at `certificate_path` (PEM or DER)."""
    encrypted = _public_key(certificate_path).encrypt(value.encode("ascii"), padding.PKCS1v15())
    return base64.b64encode(encrypted).decode("ascii")
