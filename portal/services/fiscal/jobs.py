"""The fiscal step of `jobs run-due`."""

from collections.abc import Collection, Mapping
from datetime import date

from portal.services.core.audit import SYSTEM
from portal.services.fiscal import documents, reminders


def run(today: date | None, calendar: Mapping[date, Collection[int] | None]) -> tuple[int, int]:
    """Issue the documents due (dated `today`, or each practice's own day when None) and
    send the monthly Sistema TS reminders for each day of `calendar` to the practices on it
    (None: every practice); returns (documents issued, practices reminded). Running it
    twice does nothing twice."""
    issued = documents.issue_due(SYSTEM, today)
    return issued, sum(reminders.send_due(day, ids) for day, ids in calendar.items())
