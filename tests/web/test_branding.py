"""The practice's colour and logo on patient pages, set by the owner."""

import base64
import io

from portal.extensions import db
from portal.models import Practice
from portal.services.access import links
from portal.services.core.audit import SYSTEM
from portal.services.practice import branding
from tests import factories
from tests.web.patient_client import open_and_verify
from tests.web.staff_client import csrf, make_staff, sign_in

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def settings_form(client, **changes):
    data = dict(
        name="Studio Dentistico Rossi",
        email="info@studio.example",
        phone="",
        address="",
        default_locale="it",
        brand_colour="#5b1a6e",
    )
    data.update(changes)
    return client.post(
        "/staff/settings",
        data={"csrf_token": csrf(client, "/staff/settings"), **data},
        content_type="multipart/form-data",
    )


def owner(web_app):
    with web_app.app_context():
        practice = factories.practice()
        email, practice_id = make_staff(practice, "owner").email, practice.id
    client = web_app.test_client()
    sign_in(client, email)
    return client, practice_id


def test_colour_and_logo_reach_the_patient_pages(web_app):
    client, practice_id = owner(web_app)
    response = settings_form(client, logo=(io.BytesIO(PNG), "logo.png"))
    assert response.status_code == 302
    with web_app.app_context():
        practice = db.session.get(Practice, practice_id)
        assert (practice.brand_colour, practice.logo_filename) == (
            "#5b1a6e",
            f"practice-{practice_id}.png",
        )
        invoice = factories.invoice(factories.patient(practice))
        _, token = links.issue(invoice, SYSTEM)
        db.session.commit()
    patient = web_app.test_client()
    open_and_verify(patient, token)
    page = patient.get("/pay").get_data(as_text=True)
    assert f"/brand/{practice_id}.css" in page and f"/brand/{practice_id}/logo" in page
    css = patient.get(f"/brand/{practice_id}.css").get_data(as_text=True)
    assert ".top{background:#5b1a6e}" in css
    logo = patient.get(f"/brand/{practice_id}/logo")
    assert logo.status_code == 200 and logo.data == PNG


def test_light_colours_and_bad_logos_are_refused(web_app):
    client, practice_id = owner(web_app)
    page = settings_form(client, brand_colour="#ffee00").get_data(as_text=True)
    assert "too light for white text" in page
    page = settings_form(client, logo=(io.BytesIO(b"GIF89a..."), "x.gif")).get_data(as_text=True)
    assert "must be a PNG or JPEG" in page
    with web_app.app_context():
        practice = db.session.get(Practice, practice_id)
        assert (practice.brand_colour, practice.logo_filename) == ("#123b63", None)


def test_contrast_ratio():
    assert round(branding.contrast_with_white("#000000"), 1) == 21.0
    assert round(branding.contrast_with_white("#767676"), 2) == 4.54
    assert branding.contrast_with_white("#ffffff") == 1.0


def test_closing_lines_in_each_language_reach_the_messages(web_app):
    client, practice_id = owner(web_app)
    settings_form(
        client,
        message_note_en="Questions? Call us Mon-Fri 9-18.",
        message_note_it="Domande? Ci chiami lun-ven 9-18.",
    )
    with web_app.app_context():
        practice = db.session.get(Practice, practice_id)
        english = factories.invoice(factories.patient(practice, locale="en"), number="E-1")
        italian = factories.invoice(
            factories.patient(practice, locale="it", first_name="Anna"), number="I-1"
        )
        english_id, italian_id = english.id, italian.id
    page = client.get(f"/staff/invoices/{english_id}/preview").get_data(as_text=True)
    assert "Questions? Call us Mon-Fri 9-18." in page and "Domande?" not in page
    page = client.get(f"/staff/invoices/{italian_id}/preview").get_data(as_text=True)
    assert page.count("Domande? Ci chiami lun-ven 9-18.") == 2
