"""Writing a validated CSV import in batches: one prepared INSERT per table run over all its rows
(COPY on PostgreSQL) for patients, invoices, lines, ledger charges and audit events, instead
of several statements per invoice. The outcome is the one `invoices.create_invoice` gives row
by row: the same rows, statuses, ledger charges and audit events."""

from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import func

from portal.clock import utcnow
from portal.extensions import db
from portal.models import AuditEvent, Invoice, InvoiceLine, LedgerEntry, Patient, Practice
from portal.models.invoice import InvoiceStatus
from portal.models.ledger import LedgerKind
from portal.services.billing import invoices, patients
from portal.services.billing.imports import balances, sqlite_search
from portal.services.billing.imports.results import patient_key
from portal.services.core import bulk
from portal.services.core.audit import Actor

#: invoice numbers per look-up query
CHUNK = 1000


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _newest_id(model) -> int:
    return db.session.scalar(db.select(func.coalesce(func.max(model.id), 0)))


def _new_ids(model, before: int, count: int, read_back) -> list[int]:
    """The ids of the `count` rows just inserted after the row `before`, in their order:
    both databases number one statement's rows in order, so when the newest id is
    `before + count` they are that range (nobody else's row can be in it); otherwise, as
    when another transaction inserted at the same time on PostgreSQL, `read_back()`."""
    if _newest_id(model) == before + count:
        return list(range(before + 1, before + count + 1))
    return read_back()


def _invoice_ids(practice: Practice, numbers: list[str], before: int) -> list[int]:
    """The ids of the practice's invoices `numbers` (unique per practice), in that order,
    all inserted after the invoice `before`."""

    def read_back() -> list[int]:
        query = db.select(Invoice.number, Invoice.id).where(
            Invoice.practice_id == practice.id, Invoice.id > before
        )
        found = {number: id_ for number, id_ in db.session.execute(query)}
        return [found[number] for number in numbers]

    return _new_ids(Invoice, before, len(numbers), read_back)


def _insert(model, rows: list[dict]) -> None:
    """Insert `rows` on the session's own connection, inside its transaction, straight
    through the driver (`bulk.copy` on PostgreSQL, `bulk.insert_many` elsewhere), as the
    ORM's bulk insert spends most of its time building parameters."""
    if not rows:
        return
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        bulk.copy(table, rows)
        return
    raw = db.session.connection().connection.dbapi_connection
    with sqlite_search.indexed_once(raw, table.name):
        bulk.insert_many(table, rows)


def _audit(practice: Practice, actor: Actor, now: datetime, action: str, **data) -> dict:
    return dict(
        practice_id=practice.id,
        invoice_id=data.pop("invoice_id", None),
        action=action,
        actor_kind=actor.kind,
        actor_ref=actor.ref,
        ip_address=actor.ip_address,
        data=data,
        created_at=now,
    )


def numbers_taken(practice: Practice, planned: list) -> list:
    """The planned invoices whose number the practice already uses (one query per chunk)."""
    taken: set[str] = set()
    numbers = [p.number.strip() for p in planned]
    for chunk in _chunks(numbers):
        query = db.select(Invoice.number).where(
            Invoice.practice_id == practice.id, Invoice.number.in_(chunk)
        )
        taken.update(db.session.scalars(query))
    return [p for p in planned if p.number.strip() in taken]


def create_patients(
    practice: Practice, planned: Iterable, actor: Actor, owed: dict | None = None
) -> dict:
    """New patients of the import, with a "patient.created" event each; {key: id}. `owed`:
    {key: open balance} of those whose new invoices leave them owing."""
    now = utcnow()
    planned = list(planned)
    owed = owed or {}
    rows = [
        dict(
            practice_id=practice.id,
            created_at=now,
            open_balance_minor=owed.get(p.key, 0),
            **(p.clean or patients._clean(p.data, practice)),
        )
        for p in planned
    ]
    before = _newest_id(Patient)
    _insert(Patient, rows)

    def read_back() -> list[int]:
        # by the import's own key (first name, last name, date of birth)
        made = db.select(Patient.id, Patient.first_name, Patient.last_name, Patient.date_of_birth)
        found: dict[tuple, int] = {}
        for patient_id, first, last, born in db.session.execute(
            made.where(Patient.practice_id == practice.id, Patient.id > before).order_by(Patient.id)
        ):
            found.setdefault(patient_key(first, last, born), patient_id)
        return [found[p.key] for p in planned]

    ids = _new_ids(Patient, before, len(rows), read_back)
    events = [_audit(practice, actor, now, "patient.created", patient_id=i) for i in ids]
    _insert(AuditEvent, events)
    return {p.key: patient_id for p, patient_id in zip(planned, ids, strict=True)}


def create_invoices(
    practice: Practice, planned: list, patient_ids: dict, actor: Actor, draft: bool
) -> int:
    """The import's invoices with their lines; unless `draft`, issued: the patient's share
    charged to the ledger, and paid at once when there is nothing to pay. The invoices are
    inserted with their balance, the ledger's balance trigger set aside for their charges
    (`balances`); the patients' open balances are the caller's."""
    now = utcnow()
    rows = []
    for p in planned:
        share = p.patient_share_minor
        status = (
            InvoiceStatus.DRAFT
            if draft
            else (InvoiceStatus.OPEN if share > 0 else InvoiceStatus.PAID)
        )
        rows.append(
            dict(
                practice_id=practice.id,
                patient_id=patient_ids[p.patient.key],
                number=p.number.strip(),
                currency=practice.currency,
                issued_on=p.issued_on,
                due_on=p.due_on,
                status=status,
                balance_minor=0 if draft else share,
                created_at=now,
                paid_at=now if status == InvoiceStatus.PAID else None,
            )
        )
    before = _newest_id(Invoice)
    _insert(Invoice, rows)
    ids = _invoice_ids(practice, [row["number"] for row in rows], before)
    lines, charges, events = [], [], []
    for p, invoice_id, row in zip(planned, ids, rows, strict=True):
        for position, line in enumerate(p.lines, start=1):
            lines.append(
                dict(invoice_id=invoice_id, position=position, **invoices.line_values(line))
            )
        events.append(_audit(practice, actor, now, "invoice.created", invoice_id=invoice_id))
        if draft:
            continue
        share = p.patient_share_minor
        if share:
            charges.append(
                dict(
                    practice_id=practice.id,
                    invoice_id=invoice_id,
                    kind=LedgerKind.CHARGE,
                    amount_minor=share,
                    currency=practice.currency,
                    memo=f"Invoice {row['number']}",
                    created_at=now,
                )
            )
        events.append(_audit(practice, actor, now, "invoice.issued", invoice_id=invoice_id))
        if row["status"] == "paid":
            events.append(_audit(practice, actor, now, "invoice.paid", invoice_id=invoice_id))
    _insert(InvoiceLine, lines)
    with balances.balance_trigger_aside():
        _insert(LedgerEntry, charges)
    _insert(AuditEvent, events)
    return len(ids)
