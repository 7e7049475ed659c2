"""The reports' default day D is each practice's own day (`clock.practice_today`)."""

from datetime import datetime

import pytest

from portal import clock
from portal.extensions import db
from tests import factories


@pytest.mark.parametrize(
    ("now", "rome", "new_york"),
    [
        # 23:30 UTC on 31 December: already 1 January in Rome, 31 December in New York
        (datetime(2026, 12, 31, 23, 30), "2027-01-01", "2026-12-31"),
        # 03:00 UTC on 1 January: 04:00 in Rome, still 22:00 on 31 December in New York
        (datetime(2027, 1, 1, 3, 0), "2027-01-01", "2026-12-31"),
        # 22:30 UTC on 28 March 2026 is 23:30 CET; at 23:00 UTC Rome is on the 29th
        (datetime(2026, 3, 28, 22, 30), "2026-03-28", "2026-03-28"),
        (datetime(2026, 3, 28, 23, 0), "2026-03-29", "2026-03-28"),
    ],
)
def test_the_aging_command_is_as_of_each_practice_s_day(app, monkeypatch, now, rome, new_york):
    factories.practice(slug="roma", name="Studio Roma")
    factories.practice(slug="maple", name="Maple Dental", **factories.USA)
    db.session.commit()
    monkeypatch.setattr(clock, "utcnow", lambda: now)
    result = app.test_cli_runner().invoke(args=["report", "aging"])
    assert result.exit_code == 0, result.output
    headings = [line for line in result.output.splitlines() if " · aging as of " in line]
    assert headings == [
        f"maple · Maple Dental · aging as of {new_york} (USD, America/New_York)",
        f"roma · Studio Roma · aging as of {rome} (EUR, Europe/Rome)",
    ]
