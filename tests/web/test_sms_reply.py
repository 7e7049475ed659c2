"""The answer to STOP and START names no practice: a recycled number learns nothing."""

import re

import pytest
from flask_babel import force_locale, gettext

from tests.web.test_opt_out import make_patient, text

MESSAGE = re.compile(r"<Response><Message>(.*)</Message></Response>", re.S)
STOPPED = (
    "You will no longer receive text messages from this number. Reply START to receive them again."
)
STARTED = "You will receive text messages from this number again. Reply STOP to stop them."


@pytest.mark.parametrize(("word", "expected"), [("STOP", STOPPED), ("START", STARTED)])
def test_replies_name_no_practice(web_app, client, word, expected):
    make_patient(web_app, locale="en")
    make_patient(web_app, locale="en", first_name="Marco", practice_name="Clinica Verdi")
    reply = MESSAGE.search(text(client, word).get_data(as_text=True)).group(1)
    assert reply == expected
    assert "Rossi" not in reply and "Verdi" not in reply


def test_reply_in_the_patients_language(web_app, client):
    make_patient(web_app, locale="it")
    reply = MESSAGE.search(text(client, "ARRESTO").get_data(as_text=True)).group(1)
    with web_app.app_context(), force_locale("it"):
        assert reply == gettext(STOPPED)
    assert reply.startswith("Non riceverà più")
