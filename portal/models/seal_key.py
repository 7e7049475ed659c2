"""The key and certificate that seal a practice's agreements, kept in the database so every
server seals with, and checks against, the same pair."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class SealKey(db.Model):
    #: one pair per practice; the primary key makes the first writer win
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), primary_key=True)
    #: the PKCS#8 private key, encrypted (AES-256-GCM) with a key from configuration
    key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    #: the self-signed X.509 certificate, PEM
    cert_pem: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
