"""Each practice's privacy notice: its contact, how long records are kept and, in Italy, the
Garante for complaints; public by the practice's slug."""

from portal.services.access import privacy
from tests import factories


def test_an_italian_practice_keeps_records_ten_years_and_names_the_garante(app):
    practice = factories.practice(slug="studio-rossi", privacy_contact="dpo@studio.example")
    notice = privacy.notice_for("studio-rossi")
    assert (notice.practice.id, notice.contact, notice.retention_years, notice.authority) == (
        practice.id,
        "dpo@studio.example",
        10,
        "Garante per la protezione dei dati personali, www.garanteprivacy.it",
    )


def test_elsewhere_seven_years_and_the_patient_s_own_authority(app):
    factories.practice(slug="bright-smiles", **factories.USA, email="hello@bright.example")
    notice = privacy.notice_for("bright-smiles")
    assert (notice.contact, notice.retention_years, notice.authority) == (
        "hello@bright.example",
        7,
        None,
    )


def test_the_contact_falls_back_to_the_practice_s_email_then_phone(app):
    factories.practice(slug="no-email", email=None, phone="+39 06 5550 9999")
    assert privacy.notice_for("no-email").contact == "+39 06 5550 9999"
    assert privacy.notice_for("no-such-practice") is None


def test_the_notice_address_is_absolute_under_the_portal_s_base(app, monkeypatch):
    practice = factories.practice(slug="studio-verdi")
    monkeypatch.setitem(app.config, "PORTAL_BASE_URL", "https://pay.example.org/")
    assert privacy.notice_url(practice) == "https://pay.example.org/privacy/studio-verdi"
