"""Background imports: the file waits in the database, a pending-work worker checks and
commits it all or nothing, its progress and errors are kept on the job, and a worker that
stops half way leaves nothing behind for the next one."""

from datetime import timedelta

from sqlalchemy import func

from portal.clock import utcnow
from portal.extensions import db
from portal.models import AuditEvent, ImportJob, Invoice, LedgerEntry, Patient, PendingWork
from portal.services.billing import imports
from portal.services.billing.imports import background, checking, writing
from portal.services.core import outbox
from tests import factories
from tests.services.billing.imports.test_csv_import import GOOD, ITALIAN
from tests.web.staff_client import make_staff


def queued(text: str, locale: str = "en", date_format: str = "iso") -> int:
    practice = factories.practice()
    user = make_staff(practice, "billing")
    data = text.encode()
    job = background.store_upload(practice.id, user.id, "export.csv", data)
    headers = imports.read_csv(data).headers
    rows = len(imports.read_csv(data).rows)
    mapping = imports.guess_mapping(headers)
    background.start(job, mapping, date_format=date_format, draft=False, locale=locale, rows=rows)
    db.session.commit()
    return job.id


def counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(db.select(func.count()).select_from(m))
        for m in (Patient, Invoice, LedgerEntry)
    )


def state(job_id: int) -> tuple:
    db.session.expire_all()
    job = db.session.get(ImportJob, job_id)
    return job.status, job.rows_done, job.rows_total, job.error_count, job.invoices_created


def test_a_worker_imports_the_file_and_drops_it(app, monkeypatch):
    job_id = queued(GOOD)
    assert state(job_id) == ("queued", 0, 4, 0, 0)
    seen = []
    monkeypatch.setattr(checking, "PROGRESS_EVERY", 2)
    real = background.commit

    def watching(*args, progress, **kwargs):
        def saved(done):
            progress(done)
            seen.append(state(job_id)[:2])  # committed: another server's page sees it

        return real(*args, progress=saved, **kwargs)

    monkeypatch.setattr(background, "commit", watching)
    assert outbox.run_pending() == 1
    assert seen == [("checking", 2), ("checking", 4), ("checking", 4)]
    assert state(job_id) == ("done", 4, 4, 0, 3)
    assert db.session.get(ImportJob, job_id).data is None
    assert counts() == (2, 3, 2)  # A-3 is paid by insurance: no charge
    # written in batches (COPY on PostgreSQL): the columns' defaults and JSON as the ORM's
    people = db.session.scalars(db.select(Patient).order_by(Patient.id)).all()
    assert [(p.email_consent, p.sms_consent, p.created_at is not None) for p in people] == [
        (True, False, True)  # both gave an email address in the file, neither a mobile number
    ] * 2
    created = db.select(AuditEvent).filter_by(action="patient.created").order_by(AuditEvent.id)
    assert [e.data for e in db.session.scalars(created)] == [{"patient_id": p.id} for p in people]
    assert outbox.run_pending(utcnow() + timedelta(days=1)) == 0
    assert counts() == (2, 3, 2)  # A-3 is paid by insurance: no charge


def test_errors_are_kept_translated_and_nothing_is_imported(app):
    bad = ITALIAN.replace("1.234,50", "tanti")
    job_id = queued(bad, locale="it", date_format="dmy")
    assert outbox.run_pending() == 1
    job = db.session.get(ImportJob, job_id)
    assert job.errors == [
        "Riga 2: l’importo della prestazione tanti non è un importo valido.",
        "Riga 2: l’importo pagato dall’assicurazione e la riduzione superano l’importo della prestazione.",
    ]
    assert state(job_id) == ("failed", 2, 2, 2, 0)
    assert job.data is None
    assert counts() == (0, 0, 0)


def test_a_worker_that_stops_half_way_leaves_nothing_and_the_next_one_imports(app, monkeypatch):
    job_id = queued(GOOD)
    real = writing.create_invoices

    def worker_dies(*args, **kwargs):
        real(*args, **kwargs)  # rows written in the transaction, then the worker is gone
        raise RuntimeError("worker killed")

    monkeypatch.setattr(writing, "create_invoices", worker_dies)
    assert outbox.run_pending() == 0
    assert counts() == (0, 0, 0)
    assert state(job_id) == ("checking", 4, 4, 0, 0)  # the progress page still shows it
    [work] = db.session.scalars(db.select(PendingWork)).all()
    assert (work.status, work.attempts, work.last_error) == ("pending", 1, "worker killed")

    monkeypatch.setattr(writing, "create_invoices", real)
    assert outbox.run_pending(utcnow() + timedelta(minutes=2)) == 1
    assert state(job_id) == ("done", 4, 4, 0, 3)
    assert counts() == (2, 3, 2)  # A-3 is paid by insurance: no charge


def test_a_lost_lease_is_taken_over(app):
    job_id = queued(GOOD)
    job = db.session.get(ImportJob, job_id)
    job.status, job.rows_done = "checking", 2  # a worker was checking when its machine died
    db.session.execute(db.update(PendingWork).values(leased_until=utcnow() + timedelta(minutes=4)))
    db.session.commit()
    assert outbox.run_pending() == 0  # its lease still holds
    assert outbox.run_pending(utcnow() + timedelta(minutes=5, seconds=1)) == 1
    assert state(job_id) == ("done", 4, 4, 0, 3)
    assert counts() == (2, 3, 2)  # A-3 is paid by insurance: no charge


def test_uploads_belong_to_their_user_and_expire(app):
    practice = factories.practice()
    alice, bob = make_staff(practice, "billing"), make_staff(practice, "owner")
    first = background.store_upload(practice.id, alice.id, "a.csv", b"a,b\n1,2\n")
    old = background.store_upload(practice.id, bob.id, "b.csv", b"a,b\n1,2\n")
    old.created_at = utcnow() - timedelta(days=1, minutes=1)
    db.session.commit()
    assert background.upload_of(first.id, practice.id, alice.id) is first
    assert background.upload_of(first.id, practice.id, bob.id) is None
    assert background.upload_of(str(first.id), practice.id, alice.id) is None
    assert background.job_of(first.id, practice.id) is None  # not started: no progress page

    second = background.store_upload(practice.id, alice.id, "c.csv", b"a,b\n3,4\n")
    db.session.commit()
    left = db.session.scalars(db.select(ImportJob.filename).order_by(ImportJob.id)).all()
    assert left == ["c.csv"]  # alice's earlier upload replaced, bob's day-old one deleted
    assert background.upload_of(second.id, practice.id, alice.id).data == b"a,b\n3,4\n"
