"""A practice's logo image, kept in the database so every server can serve it."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class PracticeLogo(db.Model):
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), primary_key=True)
    #: "image/png" or "image/jpeg"
    content_type: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    #: hex SHA-256 of `data`, the ETag of the logo response
    sha256: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
