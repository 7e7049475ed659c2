"""The kept balances of an import, written with its rows instead of by trigger per row.

Issuing an invoice posts the patient's share to the ledger, and 0024's trigger on every
ledger insert updates the invoice's `balance_minor`, whose own triggers then update the
patient's `open_balance_minor` and append the kept report totals of 0028. For thousands of
new invoices that is an update of every invoice and patient just inserted (with their
indexes). An import knows those balances beforehand: it inserts the invoices with their
balance and the new patients with their open balance (so the insert triggers append the same
kept totals), adds to the matched patients' open balances in one statement, and posts the
charges with the balance trigger set aside for that one insert:

- PostgreSQL: the trigger function (migration 0036) skips its work while the transaction's
  setting `saldo.balances_written` is `on`; the setting is local to the transaction and
  cleared right after the insert, so no other writer is affected.
- SQLite: the trigger is dropped and created again from its own SQL inside the import's
  transaction (SQLite has one writer at a time: nobody else sees the table without it).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from portal.extensions import db
from portal.services.billing.imports import sqlite_search

#: 0024's trigger adding each ledger entry to its invoice's balance
BALANCE_TRIGGER = "ledger_entry_balance"
#: the setting the PostgreSQL trigger function reads (migration 0036)
SETTING = "saldo.balances_written"


def open_balances(planned: list, draft: bool) -> dict[tuple, int]:
    """{patient key: the sum of the positive balances of the patient's new invoices}."""
    owed: dict[tuple, int] = {}
    if draft:
        return owed
    for invoice in planned:
        share = invoice.patient_share_minor
        if share > 0:
            owed[invoice.patient.key] = owed.get(invoice.patient.key, 0) + share
    return owed


def add_to_matched(owed: dict[tuple, int], planned_patients: list) -> None:
    """Add to the open balance of the existing patients among `planned_patients` what they
    owe on the new invoices (`owed`, by key), in one prepared statement."""
    values = [
        {"id": p.existing_id, "owed": owed[p.key]}
        for p in planned_patients
        if p.existing_id and owed.get(p.key)
    ]
    if values:
        statement = text(
            "UPDATE patient SET open_balance_minor = open_balance_minor + :owed WHERE id = :id"
        )
        db.session.execute(statement, values)


@contextmanager
def balance_trigger_aside() -> Iterator[None]:
    """Around the insert of charges whose invoices already carry their balance."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT set_config(:name, 'on', true)"), {"name": SETTING})
        yield
        db.session.execute(text("SELECT set_config(:name, '', true)"), {"name": SETTING})
        return
    raw = db.session.connection().connection.dbapi_connection
    with sqlite_search.trigger_aside(raw, BALANCE_TRIGGER):
        yield
