"""The reports page and the aging CSV over HTTP, on the ledger of tests/services/collections/test_reports.py."""

import csv
import io
import re

import pytest

from portal.clock import today_in
from tests.services.collections.test_reports import build_book
from tests.web.staff_client import make_staff, sign_in


@pytest.fixture
def book(web_app):
    with web_app.app_context():
        book = build_book()
        ids = {name: patient.id for name, patient in book.patients.items()}
        viewer = make_staff(book.practice, "viewer").email
        other = make_staff(book.other, "owner").email
    return {"patients": ids, "viewer": viewer, "other": other}


def signed_in(web_app, email):
    client = web_app.test_client()
    sign_in(client, email)
    return client


def test_page_shows_tables_figures_and_an_accessible_chart(web_app, book):
    client = signed_in(web_app, book["viewer"])
    response = client.get("/staff/reports?as_of=2026-11-30")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    svg = re.search(r"<svg class=\"chart\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="aging-chart-title aging-chart-desc"' in svg
    assert '<title id="aging-chart-title">Open balances by days past due, as of Nov 30, 2026' in svg
    assert (
        '<desc id="aging-chart-desc">Not yet due: €160.00 (2 invoices); 1–30 days: €200.00 '
        "(1 invoice); 31–60 days: €240.00 (1 invoice); 61–90 days: €200.00 (1 invoice); "
        "91–120 days: €120.00 (1 invoice); Over 120 days: €400.00 (1 invoice).</desc>"
    ) in svg
    # six bars; the largest (120+, €400.00) fills the plot from y=40 to the baseline at 232
    bars = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="60" height="([\d.]+)"', svg)
    assert [float(h) for _x, _y, h in bars] == [76.8, 96.0, 115.2, 96.0, 57.6, 192.0]
    assert "style=" not in html and "<script" not in html
    assert "script-src" in response.headers["Content-Security-Policy"]
    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\s+", " ", text)
    assert "Total €1,320.00 7" in text
    assert "Days sales outstanding (DSO) 152.3 days" in text
    assert "Collection rate 41.0%" in text
    assert "Collection effectiveness index (CEI) 29.3%" in text
    assert "Receivables at the start €1,020.00" in text and "Charges €780.00" in text
    assert "No reminder 1 €50.00" in text
    assert "Step 1: Email 1 €50.00" in text
    assert "Step 2: Text message 2 €170.00" in text
    assert "Step 3: Letter 1 €100.00" in text
    order = [int(r) for r in re.findall(r'/staff/patients/(\d+)"', html)]
    p = book["patients"]
    assert order == [p["Luca"], p["Anna"], p["Giulia"], p["Marco"]]
    assert "Luca Russo €60.00 €400.00 €460.00 2" in text
    assert "Emily" not in text  # the other practice's patient


def test_csv_download_has_exact_rows(web_app, book):
    client = signed_in(web_app, book["viewer"])
    response = client.get("/staff/reports/aging.csv?as_of=2026-11-30")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="aging-studio-rossi-2026-11-30.csv"'
    )
    p = book["patients"]
    assert response.get_data(as_text=True) == (
        "as_of,scope,patient_id,patient,currency,current,1-30,31-60,61-90,91-120,120+,total,"
        "invoices_current,invoices_1-30,invoices_31-60,invoices_61-90,invoices_91-120,"
        "invoices_120+,invoices_total\r\n"
        "2026-11-30,practice,,,EUR,160.00,200.00,240.00,200.00,120.00,400.00,1320.00,"
        "2,1,1,1,1,1,7\r\n"
        f"2026-11-30,patient,{p['Luca']},Luca Russo,EUR,60.00,0.00,0.00,0.00,0.00,400.00,"
        "460.00,1,0,0,0,0,1,2\r\n"
        f"2026-11-30,patient,{p['Anna']},Anna Neri,EUR,0.00,0.00,0.00,200.00,120.00,0.00,"
        "320.00,0,0,0,1,1,0,2\r\n"
        f"2026-11-30,patient,{p['Giulia']},Giulia Bianchi,EUR,100.00,200.00,0.00,0.00,0.00,"
        "0.00,300.00,1,1,0,0,0,0,2\r\n"
        f"2026-11-30,patient,{p['Marco']},Marco Verdi,EUR,0.00,0.00,240.00,0.00,0.00,0.00,"
        "240.00,0,0,1,0,0,0,1\r\n"
    )
    assert client.get("/staff/reports/aging.csv?as_of=30/11/2026").status_code == 400


def test_a_practice_sees_only_its_own_numbers(web_app, book):
    client = signed_in(web_app, book["other"])
    html = client.get("/staff/reports?as_of=2026-11-30").get_data(as_text=True)
    assert "$998.00" in html and "Emily Johnson" in html
    assert "Luca" not in html and "€" not in html
    assert "DSO" in html and "not available" in html
    download = client.get("/staff/reports/aging.csv?as_of=2026-11-30")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert [row[1:5] for row in rows[1:]] == [
        ["practice", "", "", "USD"],
        ["patient", rows[2][2], "Emily Johnson", "USD"],
    ]
    assert rows[1][11] == "998.00"


def test_signed_out_and_bad_input(web_app, book):
    anonymous = web_app.test_client()
    assert anonymous.get("/staff/reports").status_code == 302
    assert anonymous.get("/staff/reports/aging.csv").status_code == 302
    client = signed_in(web_app, book["viewer"])
    days = {today_in("Europe/Rome").isoformat()}
    today = client.get("/staff/reports").get_data(as_text=True)
    days.add(today_in("Europe/Rome").isoformat())
    assert any(f'name="as_of" type="date" value="{day}"' in today for day in days)
    response = client.get("/staff/reports?as_of=tomorrow&days=9999")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Enter the date as YYYY-MM-DD." in html
    assert "Enter a period of 1 to 366 days." in html
    shorter = client.get("/staff/reports?as_of=2026-11-30&days=30").get_data(as_text=True)
    assert 'Collection rate</th><td class="num" id="collection-rate">350.0%' in shorter
