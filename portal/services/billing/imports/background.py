"""Large imports in the background: the uploaded file waits in the database (`ImportJob`), a
worker of the pending-work outbox checks and commits it, and the job row tells the progress
page how many rows are checked and which errors were found.

A run is all or nothing, like an import on the page: the rows are checked with the progress
saved every `checking.PROGRESS_EVERY` rows, then everything is written in one transaction
together with the job's "done". A worker that stops half way loses its lease and another
one starts the job again from its first row, so a restart never leaves half an import.
"""

from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import delete, update

from portal.clock import utcnow
from portal.extensions import db
from portal.models import ImportJob, PendingWork, Practice
from portal.models.audit import ActorKind
from portal.models.import_job import ImportStatus
from portal.services.billing.imports.committing import commit
from portal.services.billing.imports.reading import CsvError, read_csv
from portal.services.core import outbox
from portal.services.core.audit import Actor

#: the outbox kind of a background import
KIND = "csv_import"
#: an uploaded file nobody started is deleted after this long
KEEP = timedelta(days=1)
#: errors kept on a failed job (the count says how many there were)
KEPT_ERRORS = 500
FINISHED = ("done", "failed")


def store_upload(practice_id: int, staff_user_id: int, filename: str, data: bytes) -> ImportJob:
    """Keep an uploaded file for the mapping page, replacing the user's earlier upload and
    deleting everyone's uploads left for more than a day. The caller commits."""
    db.session.execute(
        delete(ImportJob).where(
            ImportJob.status == ImportStatus.UPLOADED,
            (ImportJob.staff_user_id == staff_user_id) | (ImportJob.created_at < utcnow() - KEEP),
        )
    )
    job = ImportJob(
        practice_id=practice_id, staff_user_id=staff_user_id, filename=filename[:200], data=data
    )
    db.session.add(job)
    db.session.flush()
    return job


def upload_of(job_id: object, practice_id: int, staff_user_id: int) -> ImportJob | None:
    """The uploaded, not yet started file `job_id` if it is this staff user's."""
    if not isinstance(job_id, int):
        return None
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != ImportStatus.UPLOADED or job.data is None:
        return None
    if (job.practice_id, job.staff_user_id) != (practice_id, staff_user_id):
        return None
    return job


def job_of(job_id: int, practice_id: int) -> ImportJob | None:
    """A started import of the practice, for its progress page."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.practice_id != practice_id or job.status == ImportStatus.UPLOADED:
        return None
    return job


def recent(practice_id: int, count: int = 5) -> list[ImportJob]:
    """The practice's latest imports that went to a worker, newest first."""
    query = (
        db.select(ImportJob)
        .where(ImportJob.practice_id == practice_id, ImportJob.status != ImportStatus.UPLOADED)
        .order_by(ImportJob.id.desc())
        .limit(count)
    )
    return list(db.session.scalars(query))


def discard(job: ImportJob) -> None:
    """Delete an uploaded file that is not going to a worker. The caller commits."""
    db.session.delete(job)


def start(
    job: ImportJob, mapping: dict, *, date_format: str, draft: bool, locale: str, rows: int
) -> None:
    """Queue the import of an uploaded file for a worker. The caller commits."""
    job.mapping = {key: header for key, header in mapping.items() if header}
    job.date_format, job.draft, job.locale = date_format, draft, locale
    job.status, job.rows_total, job.rows_done = "queued", rows, 0
    outbox.enqueue(KIND, f"import:{job.id}", practice_id=job.practice_id, import_id=job.id)


def run(work: PendingWork) -> None:
    """The outbox handler: check and commit the import, or record its errors."""
    job = db.session.get(ImportJob, work.payload["import_id"])
    if job is None or job.status in FINISHED:
        return
    job_id = job.id
    try:
        csv_file = read_csv(job.data or b"")
    except CsvError as exc:
        _failed(job, [exc])
        return
    job.status, job.rows_total, job.rows_done = "checking", len(csv_file.rows), 0
    db.session.commit()  # the staff page, another process, shows the job checking

    def progress(done: int) -> None:
        values = dict(rows_done=done, updated_at=utcnow())
        db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
        db.session.commit()  # nothing else is pending while rows are checked

    practice = db.session.get(Practice, job.practice_id)
    result = commit(
        practice,
        csv_file,
        dict(job.mapping),
        actor=Actor(ActorKind.STAFF, str(job.staff_user_id)),
        date_format=job.date_format,
        draft=job.draft,
        progress=progress,
    )
    job = db.session.get(ImportJob, job_id)
    if not result.imported:
        _failed(job, result.errors)
        return
    job.status, job.data, job.invoices_created = "done", None, len(result.invoices)
    job.finished_at = utcnow()


def _failed(job: ImportJob, errors: list) -> None:
    with force_locale(job.locale):
        job.errors = [str(error) for error in errors[:KEPT_ERRORS]]
    job.error_count, job.status, job.finished_at = len(errors), "failed", utcnow()
    job.data = None  # the staff member corrects the file and uploads it again
