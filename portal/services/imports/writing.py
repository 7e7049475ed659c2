"""Writing a validated CSV import in batches: multi-row INSERTs of patients, invoices, lines,
ledger charges and audit events (COPY on PostgreSQL), a few statements per thousand rows
instead of several per invoice. The outcome is the one `invoices.create_invoice` gives row
by row: the same rows, statuses, ledger charges and audit events."""

from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import func, insert

from portal.clock import utcnow
from portal.extensions import db
from portal.models import AuditEvent, Invoice, InvoiceLine, LedgerEntry, Patient, Practice
from portal.services.billing import patients
from portal.services.core.audit import Actor
from portal.services.imports.results import patient_key

#: rows per INSERT statement
CHUNK = 1000


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _invoice_ids(practice: Practice, numbers: list[str]) -> list[int]:
    """The ids of the practice's invoices `numbers` (unique per practice), in that order."""
    found: dict[str, int] = {}
    for chunk in _chunks(numbers):
        query = db.select(Invoice.number, Invoice.id).where(
            Invoice.practice_id == practice.id, Invoice.number.in_(chunk)
        )
        found.update((number, id_) for number, id_ in db.session.execute(query))
    return [found[number] for number in numbers]


def _insert(model, rows: list[dict]) -> None:
    if rows and db.session.get_bind().dialect.name == "postgresql":
        _copy(model.__table__, rows)
        return
    for chunk in _chunks(rows):
        db.session.execute(insert(model), chunk)


def _copy(table, rows: list[dict]) -> None:
    """`COPY table FROM STDIN` on the session's own connection, inside its transaction: the
    rows' values through their columns' types, and the columns' Python defaults (which an
    INSERT through SQLAlchemy would add) for the columns the rows leave out."""
    dialect = db.session.get_bind().dialect
    given = list(rows[0])
    defaults = {
        column.name: column.default
        for column in table.columns
        if column.default is not None and column.name not in given and not column.primary_key
    }
    names = [*given, *defaults]
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({quoted}) FROM STDIN"
    raw = db.session.connection().connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            fill = [d.arg if d.is_scalar else d.arg(None) for d in defaults.values()]
            values = [row[name] for name in given] + fill
            copy.write_row(
                [
                    v if p is None or v is None else p(v)
                    for v, p in zip(values, processors, strict=True)
                ]
            )


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


def create_patients(practice: Practice, planned: Iterable, actor: Actor) -> dict:
    """New patients of the import, with a "patient.created" event each; {key: id}."""
    now = utcnow()
    planned = list(planned)
    rows = [
        dict(practice_id=practice.id, created_at=now, **patients._clean(p.data)) for p in planned
    ]
    before = db.session.scalar(db.select(func.coalesce(func.max(Patient.id), 0)))
    _insert(Patient, rows)
    # read back by the import's own key (first name, last name, date of birth): one query
    # instead of a RETURNING per row, which SQLite would need to keep rows in order
    made = db.select(Patient.id, Patient.first_name, Patient.last_name, Patient.date_of_birth)
    found: dict[tuple, int] = {}
    for patient_id, first, last, born in db.session.execute(
        made.where(Patient.practice_id == practice.id, Patient.id > before).order_by(Patient.id)
    ):
        found.setdefault(patient_key(first, last, born), patient_id)
    ids = [found[p.key] for p in planned]
    events = [_audit(practice, actor, now, "patient.created", patient_id=i) for i in ids]
    _insert(AuditEvent, events)
    return {p.key: patient_id for p, patient_id in zip(planned, ids, strict=True)}


def create_invoices(
    practice: Practice, planned: list, patient_ids: dict, actor: Actor, draft: bool
) -> int:
    """The import's invoices with their lines; unless `draft`, issued: the patient's share
    charged to the ledger, and paid at once when there is nothing to pay."""
    now = utcnow()
    rows = []
    for p in planned:
        share = p.patient_share_minor
        status = "draft" if draft else ("open" if share > 0 else "paid")
        rows.append(
            dict(
                practice_id=practice.id,
                patient_id=patient_ids[p.patient.key],
                number=p.number.strip(),
                currency=practice.currency,
                issued_on=p.issued_on,
                due_on=p.due_on,
                status=status,
                created_at=now,
                paid_at=now if status == "paid" else None,
            )
        )
    _insert(Invoice, rows)
    ids = _invoice_ids(practice, [row["number"] for row in rows])
    lines, charges, events = [], [], []
    for p, invoice_id, row in zip(planned, ids, rows, strict=True):
        for position, line in enumerate(p.lines, start=1):
            lines.append(
                dict(
                    invoice_id=invoice_id,
                    position=position,
                    service_date=line.service_date,
                    procedure_code=(line.procedure_code or "").strip() or None,
                    description=line.description.strip(),
                    charged_minor=line.charged_minor,
                    insurance_paid_minor=line.insurance_paid_minor,
                    adjustment_minor=line.adjustment_minor,
                    patient_share_minor=line.patient_share_minor,
                )
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
                    kind="charge",
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
    _insert(LedgerEntry, charges)
    _insert(AuditEvent, events)
    return len(ids)
