"""Committing an import: validate again, then write every patient and invoice in batches, or
nothing at all when any row is wrong or something changed since the check."""

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Practice
from portal.services.billing.imports import balances, writing
from portal.services.billing.imports.checking import validate
from portal.services.billing.imports.reading import CsvFile
from portal.services.billing.imports.results import ImportResult, RowError
from portal.services.billing.invoices import InvalidInvoice
from portal.services.billing.patients import InvalidPatient
from portal.services.core import audit
from portal.services.core.audit import Actor


def commit(
    practice: Practice,
    csv_file: CsvFile,
    mapping: dict[str, str | None],
    *,
    actor: Actor,
    date_format: str = "iso",
    draft: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate, then create every patient and invoice, or nothing if there is any error.
    Invoices are issued unless `draft`. Writes go to the session; the caller commits.
    `progress` is the validation's (see `validate`): it runs before anything is written."""
    result = validate(practice, csv_file, mapping, date_format=date_format, progress=progress)
    result.draft = draft
    if not result.ok:
        return result
    row = None
    try:
        people = {p.key: p.existing_id for p in result.patients if p.existing_id}
        fresh = [p for p in result.patients if not p.existing_id]
        for planned in writing.numbers_taken(practice, result.invoices):
            row = planned.row  # taken since validation, e.g. by another user
            raise InvalidInvoice(
                _l("Invoice number %(number)s is already used.", number=planned.number)
            )
        owed = balances.open_balances(result.invoices, draft)
        people.update(writing.create_patients(practice, fresh, actor, owed))
        writing.create_invoices(practice, result.invoices, people, actor, draft)
        balances.add_to_matched(owed, result.patients)
        audit.record(
            "invoices.imported",
            practice_id=practice.id,
            actor=actor,
            count=len(result.invoices),
            lines=result.lines,
            patients_created=result.new_patients,
            patients_matched=result.matched_patients,
            draft=draft,
        )
        db.session.flush()
    except (InvalidInvoice, InvalidPatient) as exc:
        # something changed since validation, e.g. another user took an invoice number
        db.session.rollback()
        message = _l("Row %(row)s: %(problem)s", row=row, problem=exc.args[0])
        result.errors.append(RowError(row, None, message))
        return result
    except IntegrityError:
        # the same, caught by the database: an import running at the same moment
        db.session.rollback()
        message = _l(
            "Someone else created some of these invoices at the same moment. Nothing has been "
            "imported; check the file again."
        )
        result.errors.append(RowError(None, None, message))
        return result
    except Exception:
        db.session.rollback()
        raise
    result.imported = True
    return result
