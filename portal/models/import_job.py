"""A CSV import from its upload to its end: the file itself (kept in the database, so any
server or worker can read it), the choices made on the mapping page, and the progress of a
background run."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class ImportStatus(StrEnum):
    """uploaded: waiting on the mapping page; queued: a worker will run it; checking: the
    worker reads the rows; done: imported; failed: errors found, nothing imported."""

    UPLOADED = "uploaded"
    QUEUED = "queued"
    CHECKING = "checking"
    DONE = "done"
    FAILED = "failed"


IMPORT_STATUSES = tuple(s.value for s in ImportStatus)


class ImportJob(db.Model):
    __tablename__ = "import_job"
    __table_args__ = (CheckConstraint(f"status IN {IMPORT_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    #: the name the file had on the staff member's computer
    filename: Mapped[str] = mapped_column(String(200))
    #: the uploaded bytes; emptied once the import is done
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="uploaded")
    #: Saldo field -> CSV header, as chosen on the mapping page
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    date_format: Mapped[str] = mapped_column(String(3), default="iso")
    draft: Mapped[bool] = mapped_column(default=False)
    #: the language the errors are written in (the staff member's when they started it)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    #: the first errors, already translated
    errors: Mapped[list[str]] = mapped_column(JSON, default=list)
    invoices_created: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]
