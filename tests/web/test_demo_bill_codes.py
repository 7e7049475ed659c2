"""The demo's Italian practice shows its own price-list codes on the bill and the receipt;
the US practice keeps the dental (CDT) codes."""

from portal.extensions import db
from portal.models import Invoice, Patient
from portal.services.billing import money, receipts
from portal.services.core import demo
from portal.services.core.audit import Actor
from tests.support.pdf import pdf_text
from tests.web.patient_client import open_and_verify

DESK = Actor("staff", "desk", "127.0.0.1")
ITALIAN_LINES = [
    "Codice IGI.01",
    "Igiene orale professionale (ablazione del tartaro)",
    "Codice CON.02",
    "Otturazione in composito, due superfici",
    "Codice RAD.01",
    "Radiografia endorale",
]


def seeded(app, patient_name: str):
    with app.app_context():
        found = [link for link in demo.seed() if link.patient == patient_name]
        db.session.commit()  # the caller commits, as `flask demo` does
    return found[0]


def test_the_italian_bill_and_receipt_carry_the_practices_own_codes(web_app):
    link = seeded(web_app, "Giulia Bianchi")
    client = web_app.test_client()
    open_and_verify(client, link.token)
    html = client.get("/pay", headers={"Accept-Language": "it-IT"}).get_data(as_text=True)
    for text in ITALIAN_LINES:
        assert text in html
    assert "D1110" not in html and "D0150" not in html
    with web_app.app_context():
        invoice = db.session.scalars(
            db.select(Invoice).join(Patient).filter(Patient.first_name == "Giulia")
        ).one()
        payment = money.record_desk_payment(invoice, 6000, "cash", DESK)
        receipt = pdf_text(receipts.render_pdf(payment, "it"))
    rows = [row.split()[1:3] for row in receipt.splitlines() if row[:2].isdigit()]
    # each treatment row of the receipt opens with the code, its description wrapped below
    assert ["IGI.01", "·"] in rows and ["CON.02", "·"] in rows and ["RAD.01", "·"] in rows
    assert "D1110" not in receipt and "(ablazione del" in receipt


def test_the_us_bill_keeps_dental_codes(web_app):
    link = seeded(web_app, "John Miller")
    client = web_app.test_client()
    open_and_verify(client, link.token, day=14, month=6, year=1978)
    html = client.get("/pay", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert "Code D0150" in html and "Code D1110" in html and "Code D2740" in html
    assert "IGI.01" not in html
