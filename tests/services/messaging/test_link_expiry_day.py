"""The day a link works until is the patient's day (else the practice's), not the UTC one."""

from datetime import datetime

import pytest

from portal.services.messaging import link_sends
from tests import factories

#: 23:30 UTC on 31 December: 00:30 on 1 January in Rome, 18:30 on 31 December in New York
EXPIRES_AT = datetime(2026, 12, 31, 23, 30)


@pytest.mark.parametrize(
    ("zone", "until"),
    [
        (None, "January 1, 2027"),  # the practice's zone, Europe/Rome
        ("America/New_York", "December 31, 2026"),
    ],
)
def test_the_link_works_until_the_patient_s_day(app, zone, until):
    invoice, _ = factories.invoice_with_link(locale="en", timezone=zone)
    rendered = link_sends.render_link_message(invoice, "email", "https://x.test/p/t", EXPIRES_AT)
    assert f"The link works until {until}." in rendered.text
