"""The site's root: a page in the visitor's language for patients and staff, not a 404."""

import html

import pytest


@pytest.mark.parametrize(
    ("accept", "lang", "patients", "staff"),
    [
        (
            "en-GB,en;q=0.9",
            "en",
            "To see and pay your bill, open the link in the text message or email your practice sent you.",
            "Sign in",
        ),
        (
            "it-IT,it;q=0.9",
            "it",
            "Per vedere e pagare la Sua fattura, apra il link contenuto nell'SMS o nell'email che Le ha inviato il Suo studio.",
            "Acceda",
        ),
    ],
)
def test_the_root_speaks_the_visitor_language(client, accept, lang, patients, staff):
    response = client.get("/", headers={"Accept-Language": accept})
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert f'<html lang="{lang}">' in page
    assert patients in page
    assert f'<a class="button" href="/staff/login">{staff}</a>' in page
    assert "Saldo" not in page
