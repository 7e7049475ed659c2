"""The staff CSV import over HTTP: upload, map, check, import; roles, practices, limits."""

import io
import re

import pytest
from sqlalchemy import func

from portal.extensions import db
from portal.models import AuditEvent, ImportJob, Invoice, LedgerEntry, Patient, Practice
from portal.services.billing import ledger
from portal.services.core import outbox
from tests import factories
from tests.web.staff_client import csrf, make_staff, sign_in

EXPORT = """\
Nome;Cognome;Data di nascita;Email;Numero fattura;Data fattura;Scadenza;Data prestazione;Descrizione;Importo;Assicurazione
Giulia;Bianchi;09/03/1984;giulia@example.org;F-1;15/03/2026;14/04/2026;13/03/2026;Igiene;90,00;10,00
Giulia;Bianchi;09/03/1984;giulia@example.org;F-1;15/03/2026;14/04/2026;13/03/2026;Otturazione;140,00;
Marco;Rossi;23/11/1979;;F-2;15/03/2026;14/04/2026;14/03/2026;Corona;1.234,50;
"""
MAPPING = {
    "map_first_name": "Nome",
    "map_last_name": "Cognome",
    "map_date_of_birth": "Data di nascita",
    "map_email": "Email",
    "map_phone": "",
    "map_language": "",
    "map_number": "Numero fattura",
    "map_issued_on": "Data fattura",
    "map_due_on": "Scadenza",
    "map_service_date": "Data prestazione",
    "map_procedure_code": "",
    "map_description": "Descrizione",
    "map_charged": "Importo",
    "map_insurance_paid": "Assicurazione",
    "map_adjustment": "",
}


@pytest.fixture
def imports(web_app):
    """The app whose uploaded files (`ImportJob` rows) `stored` lists."""
    return web_app


def signed_in(web_app, practice_id=None, role="billing"):
    with web_app.app_context():
        practice = db.session.get(Practice, practice_id) if practice_id else factories.practice()
        email = make_staff(practice, role).email
        practice_id = practice.id
    client = web_app.test_client()
    sign_in(client, email)
    return client, practice_id


def upload(client, text=EXPORT, name="export.csv", encoding="utf-8"):
    token = csrf(client, "/staff/import")
    data = {"csrf_token": token, "file": (io.BytesIO(text.encode(encoding)), name)}
    return client.post("/staff/import", data=data, content_type="multipart/form-data")


def submit(client, action, date_format="dmy", **extra):
    data = {"csrf_token": csrf(client, "/staff/"), "date_format": date_format, "action": action}
    return client.post("/staff/import/map", data={**data, **MAPPING, **extra})


def stored(app) -> list[tuple[int, int, str]]:
    """The uploaded files waiting in the database: (id, size, original name)."""
    with app.app_context():
        query = db.select(ImportJob).filter_by(status="uploaded").order_by(ImportJob.id)
        return [(j.id, len(j.data), j.filename) for j in db.session.scalars(query)]


def totals(web_app) -> tuple[int, int, int]:
    with web_app.app_context():
        return tuple(
            db.session.scalar(db.select(func.count()).select_from(m))
            for m in (Patient, Invoice, LedgerEntry)
        )


def test_upload_map_check_import(web_app, imports):
    client, practice_id = signed_in(web_app)
    with web_app.app_context():
        practice = db.session.get(Practice, practice_id)
        giulia_id = factories.patient(practice).id
        db.session.commit()

    page = client.get("/staff/import").get_data(as_text=True)
    assert '<label for="file">CSV file</label>' in page
    assert 'enctype="multipart/form-data"' in page

    response = upload(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/import/map")
    [(job_id, size, name)] = stored(imports)
    assert (size, name) == (len(EXPORT.encode()), "export.csv")
    with client.session_transaction() as session:
        assert session["staff_import"] == {"job": job_id}

    page = client.get("/staff/import/map").get_data(as_text=True)
    for field, header in MAPPING.items():
        if header:
            assert f'<option selected value="{header}">{header}</option>' in _select(page, field)
    assert '<option selected value="dmy">' in _select(page, "date_format")
    assert '<label for="map_number">Invoice number</label>' in page
    assert '<th scope="col">Numero fattura</th>' in page
    assert '<th scope="row">4</th><td>Marco</td>' in page

    checked = submit(client, "check")
    body = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "The file is ready to import" in body
    assert '<dd id="count-invoices">2</dd>' in body
    assert '<dd id="count-lines">3</dd>' in body
    assert '<dd id="count-new-patients">1</dd>' in body
    assert '<dd id="count-matched-patients">1</dd>' in body
    assert totals(web_app) == (1, 0, 0)

    done = submit(client, "import")
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/staff/")
    assert "Imported 2 invoices." in client.get("/staff/").get_data(as_text=True)
    assert stored(imports) == []
    with web_app.app_context():
        invoices = {i.number: i for i in db.session.scalars(db.select(Invoice))}
        assert invoices["F-1"].patient_id == giulia_id
        assert ledger.balance(invoices["F-1"].id) == 8000 + 14000
        assert ledger.balance(invoices["F-2"].id) == 123450
        assert {i.status for i in invoices.values()} == {"open"}
        event = db.session.scalars(
            db.select(AuditEvent).filter_by(action="invoices.imported")
        ).one()
        assert (event.actor_kind, event.data["count"]) == ("staff", 2)
    assert totals(web_app) == (2, 2, 2)
    follow = client.get("/staff/import/map")
    assert follow.status_code == 302 and follow.headers["Location"].endswith("/staff/import")


def _select(page: str, name: str) -> str:
    return re.search(rf'<select[^>]*name="{name}"[^>]*>.*?</select>', page, re.S).group(0)


def test_bad_rows_are_listed_and_nothing_is_imported(web_app, imports):
    client, _ = signed_in(web_app)
    bad = EXPORT.replace("1.234,50", "tanti").replace("Otturazione", "")
    upload(client, bad)
    before = totals(web_app)

    for action in ("check", "import"):
        response = submit(client, action)
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Nothing has been imported" in body
        errors = re.search(r'<ul id="import-errors">(.*?)</ul>', body, re.S).group(1)
        assert re.findall(r"<li>(.*?)</li>", errors) == [
            "Row 3: Descrizione is empty.",
            "Row 4: the charged amount tanti is not an amount.",
        ]
    assert totals(web_app) == before
    assert len(stored(imports)) == 1

    wrong_dates = submit(client, "check", date_format="iso").get_data(as_text=True)
    assert "Row 2: 09/03/1984 in Data di nascita is not a date in the chosen format." in wrong_dates


def test_drafts_option(web_app, imports):
    client, _ = signed_in(web_app)
    upload(client)
    assert submit(client, "import", draft="y").status_code == 302
    with web_app.app_context():
        assert {i.status for i in db.session.scalars(db.select(Invoice))} == {"draft"}
    assert totals(web_app)[2] == 0


def test_viewer_gets_403(web_app, imports):
    client, _ = signed_in(web_app, role="viewer")
    assert client.get("/staff/import").status_code == 403
    assert client.get("/staff/import/map").status_code == 403
    token = csrf(client, "/staff/")
    data = {"csrf_token": token, "file": (io.BytesIO(EXPORT.encode()), "export.csv")}
    assert client.post("/staff/import", data=data).status_code == 403
    assert (
        client.post("/staff/import/map", data={"csrf_token": token, **MAPPING}).status_code == 403
    )
    assert stored(imports) == []


def test_another_practice_cannot_use_a_pending_upload(web_app, imports):
    owner_a, _ = signed_in(web_app)
    upload(owner_a)
    with owner_a.session_transaction() as session:
        pending = dict(session["staff_import"])
    owner_b, _ = signed_in(web_app, role="owner")
    with owner_b.session_transaction() as session:
        session["staff_import"] = pending

    response = owner_b.get("/staff/import/map")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/import")
    assert "Giulia" not in owner_b.get("/staff/import").get_data(as_text=True)
    with owner_b.session_transaction() as session:
        session["staff_import"] = pending
    assert submit(owner_b, "import").status_code == 302
    assert totals(web_app) == (0, 0, 0)
    assert [job_id for job_id, _, _ in stored(imports)] == [pending["job"]]

    assert submit(owner_a, "import").status_code == 302
    assert totals(web_app) == (2, 2, 2)


def test_upload_checks(web_app, imports):
    client, _ = signed_in(web_app)
    no_token = client.post(
        "/staff/import",
        data={"file": (io.BytesIO(EXPORT.encode()), "export.csv")},
        content_type="multipart/form-data",
    )
    assert no_token.status_code == 400

    missing = client.post("/staff/import", data={"csrf_token": csrf(client, "/staff/import")})
    assert "Choose a CSV file." in missing.get_data(as_text=True)

    one_column = upload(client, "just one column\nvalue\n")
    assert one_column.status_code == 200
    assert "The file has only one column" in one_column.get_data(as_text=True)

    web_app.config["IMPORT_MAX_BYTES"] = 200
    too_big = upload(client, EXPORT * 3)
    assert too_big.status_code == 413
    assert "The file is larger than 1 MB." in too_big.get_data(as_text=True)
    assert stored(imports) == []


def test_start_over_deletes_the_file(web_app, imports):
    client, _ = signed_in(web_app)
    upload(client, encoding="cp1252")
    assert len(stored(imports)) == 1
    upload(client)
    assert len(stored(imports)) == 1
    response = client.post("/staff/import/cancel", data={"csrf_token": csrf(client, "/staff/")})
    assert response.status_code == 302
    assert stored(imports) == []


def test_a_large_file_is_imported_by_a_worker_with_a_progress_page(web_app, imports):
    web_app.config["IMPORT_BACKGROUND_ROWS"] = 2  # EXPORT has 3 rows
    client, _ = signed_in(web_app)
    upload(client)
    response = submit(client, "import")
    assert response.status_code == 302
    [(job_id,)] = _jobs(web_app)
    assert response.headers["Location"].endswith(f"/staff/import/{job_id}")
    assert totals(web_app) == (0, 0, 0)
    assert stored(imports) == []  # started: no longer waiting on the mapping page

    page = client.get(f"/staff/import/{job_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "Waiting for a worker to start the import" in page
    assert "Rows checked: 0 of 3" in page
    assert '<progress id="import-progress" max="3" value="0">0%</progress>' in page

    with web_app.app_context():
        assert outbox.run_pending() == 1
    assert totals(web_app) == (2, 2, 2)
    page = client.get(f"/staff/import/{job_id}").get_data(as_text=True)
    assert "http-equiv" not in page
    assert "Imported 2 invoices." in page
    assert '<progress id="import-progress" max="3" value="3">100%</progress>' in page
    listed = client.get("/staff/import").get_data(as_text=True)
    assert f'<a href="/staff/import/{job_id}">export.csv</a>' in listed
    assert "2 invoices imported" in listed

    other, _ = signed_in(web_app, role="owner")
    assert other.get(f"/staff/import/{job_id}").status_code == 404
    assert "export.csv" not in other.get("/staff/import").get_data(as_text=True)


def test_a_worker_lists_the_errors_of_a_large_file(web_app, imports):
    web_app.config["IMPORT_BACKGROUND_ROWS"] = 2
    client, _ = signed_in(web_app)
    upload(client, EXPORT.replace("1.234,50", "tanti").replace("Otturazione", ""))
    submit(client, "import")
    [(job_id,)] = _jobs(web_app)
    with web_app.app_context():
        assert outbox.run_pending() == 1
    body = client.get(f"/staff/import/{job_id}").get_data(as_text=True)
    assert "Nothing has been imported" in body
    errors = re.search(r'<ul id="import-errors">(.*?)</ul>', body, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", errors) == [
        "Row 3: Descrizione is empty.",
        "Row 4: the charged amount tanti is not an amount.",
    ]
    assert totals(web_app) == (0, 0, 0)


def _jobs(app) -> list[tuple[int]]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(db.select(ImportJob.id))]
