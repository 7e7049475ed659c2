"""The `flask` commands a newcomer and an operator use."""

import re

from portal.extensions import db
from portal.models import Invoice, InvoiceLine, PlanPolicy, Practice, StaffUser
from portal.services.access import links


def test_demo_seeds_once_and_prints_working_links(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    tokens = re.findall(r"/p/([A-Za-z0-9_\-]{40,})", result.output)
    assert len(tokens) == 4 and all(links.resolve(t).ok for t in tokens)
    assert "date of birth: 9 March 1984" in result.output
    assert "owner@studio-rossi.example / saldo-demo-password" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 4 + 9
    assert db.session.scalar(db.select(db.func.count()).select_from(PlanPolicy)) == 2
    codes = db.session.execute(
        db.select(Practice.country, InvoiceLine.procedure_code)
        .join(Invoice, InvoiceLine.invoice_id == Invoice.id)
        .join(Practice, Invoice.practice_id == Practice.id)
        .distinct()
    ).all()
    # US dental (CDT) codes belong to the US practice only: the Italian one shows none
    assert {code for country, code in codes if country == "IT"} == {None}
    assert {code for country, code in codes if country == "US"} == {
        "D0150",
        "D1110",
        "D2740",
        "D0120",
    }
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 4 + 9 + 4
    assert db.session.scalar(db.select(db.func.count()).select_from(StaffUser)) == 2


def test_jobs_run_due_reports_what_it_did(app):
    result = app.test_cli_runner().invoke(args=["jobs", "run-due", "--as-of", "2027-01-31"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2027-01-31: 0 charged (0 paid, 0 failed), 0 reminded")


def test_jobs_run_due_without_a_day_runs_each_practice_on_its_own(app):
    result = app.test_cli_runner().invoke(args=["jobs", "run-due"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("today (each practice's own day): 0 charged (0 paid,")


def test_staff_and_api_keys_from_the_command_line(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    result = runner.invoke(
        args=[
            "staff",
            "create",
            "--practice",
            "studio-rossi",
            "--email",
            "b@x.org",
            "--name",
            "Bea",
            "--role",
            "billing",
        ],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    key = runner.invoke(args=["apikey", "create", "--practice", "studio-rossi", "--name", "pms"])
    assert re.search(r"sk_saldo_\S{40,}", key.output)
    bad = runner.invoke(args=["apikey", "create", "--practice", "nope", "--name", "pms"])
    assert bad.exit_code != 0
