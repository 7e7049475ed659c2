"""The patient's date of birth is checked against their own day (else the practice's): at
23:30 UTC on 31 December it is already 1 January in Rome, still 31 December in New York."""

from datetime import datetime

import pytest

from portal import clock
from tests import factories
from tests.web.patient_client import open_and_verify

FUTURE = "The date of birth cannot be in the future."
NO_MATCH = "These details do not match our records."


def new_link(app, **patient):
    with app.app_context():
        _, token = factories.invoice_with_link(locale="en", **patient)
        return token


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        # 1 January is today in Rome: a real date, only not this patient's
        (None, NO_MATCH),  # the practice's zone, Europe/Rome
        ("Europe/Rome", NO_MATCH),
        # and tomorrow in New York
        ("America/New_York", FUTURE),
    ],
)
def test_new_year_s_day_is_today_in_rome_and_tomorrow_in_new_york(
    client, web_app, monkeypatch, zone, message
):
    token = new_link(web_app, timezone=zone)
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 31, 23, 30))
    response = open_and_verify(client, token, day=1, month=1, year=2027)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert (FUTURE if message == NO_MATCH else NO_MATCH) not in page
