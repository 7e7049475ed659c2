"""The fiscal step of `jobs run-due`."""

from datetime import date

from portal.services.core.audit import SYSTEM
from portal.services.fiscal import documents, reminders


def run(today: date) -> tuple[int, int]:
    """Issue the documents due and send the monthly Sistema TS reminders; returns
    (documents issued, practices reminded). Running it twice does nothing twice."""
    return documents.issue_due(SYSTEM, today), reminders.send_due(today)
