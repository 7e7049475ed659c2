"""A large import does not lock other users out of SQLite: the worker, in its own process,
checks the file with short transactions and writes it in one; a staff member signing in
meanwhile (which writes their sign-in time) succeeds, whether the worker is checking rows
or in the middle of writing."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import ImportJob, Invoice, StaffUser
from portal.services.billing.imports import background
from tests import factories
from tests.web.staff_client import make_staff, sign_in

ROOT = Path(__file__).resolve().parents[4]
HEADER = "First name,Last name,Date of birth,Invoice number,Issue date,Due date,Service date,"
HEADER += "Description,Charged"

#: the worker process: one outbox run, holding on after the check (until told to go on) and
#: for a few seconds inside the write transaction, after every row is written
WORKER = """
import pathlib, sys, time
from portal import create_app
from portal.services.core import outbox
from portal.services.billing.imports import committing, writing

signals = pathlib.Path(sys.argv[2])
checked, write = committing.validate, writing.create_invoices

def validate(*args, **kwargs):
    result = checked(*args, **kwargs)
    (signals / "checked").touch()
    deadline = time.monotonic() + 60
    while not (signals / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return result

def create_invoices(*args, **kwargs):
    count = write(*args, **kwargs)
    (signals / "writing").touch()
    time.sleep(3)  # the write lock is held: other writers wait for the commit
    return count

committing.validate, writing.create_invoices = validate, create_invoices
app = create_app({"SALDO_ENV": "test", "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context():
    print(outbox.run_pending())
"""


def export(invoices: int) -> bytes:
    rows = [HEADER]
    for n in range(invoices):
        rows.append(
            f"Name{n % 700},Surname{n % 700},1970-01-{1 + n % 28:02d},B-{n:05d},2026-03-01,"
            f"2026-03-31,2026-02-20,Cleaning,{50 + n % 90}.00"
        )
    return "\n".join(rows).encode()


def wait_for(path: Path, worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        assert worker.poll() is None, worker.communicate()
        assert time.monotonic() < deadline, f"the worker never reached {path.name}"
        time.sleep(0.05)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_staff_sign_in_while_a_worker_checks_and_writes_a_large_import(web_app, tmp_path):
    with web_app.app_context():
        practice = factories.practice()
        emails = [make_staff(practice, role).email for role in ("billing", "owner")]
        user = db.session.scalars(db.select(StaffUser).filter_by(email=emails[0])).one()
        job = background.store_upload(practice.id, user.id, "large.csv", export(600))
        mapping = {
            "first_name": "First name",
            "last_name": "Last name",
            "date_of_birth": "Date of birth",
            "number": "Invoice number",
            "issued_on": "Issue date",
            "due_on": "Due date",
            "service_date": "Service date",
            "description": "Description",
            "charged": "Charged",
        }
        background.start(job, mapping, date_format="iso", draft=False, locale="en", rows=600)
        db.session.commit()
        job_id, practice_id = job.id, practice.id
    url = web_app.config["SQLALCHEMY_DATABASE_URI"]
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, url, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(tmp_path / "checked", worker)  # every row checked, progress committed
        first = sign_in(web_app.test_client(), emails[0])
        (tmp_path / "go").touch()
        wait_for(tmp_path / "writing", worker)  # inside the import's write transaction
        second = sign_in(web_app.test_client(), emails[1])
        out, err = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert out.split() == ["1"]
    assert (first.status_code, first.headers["Location"]) == (302, "/staff/")
    assert (second.status_code, second.headers["Location"]) == (302, "/staff/")
    with web_app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert (job.status, job.rows_done, job.invoices_created) == ("done", 600, 600)
        signed = db.session.scalars(db.select(StaffUser.last_login_at).order_by(StaffUser.id))
        assert all(at is not None for at in signed)
        count = db.select(db.func.count()).select_from(Invoice).filter_by(practice_id=practice_id)
        assert db.session.scalar(count) == 600
