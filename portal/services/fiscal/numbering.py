"""Progressive numbers per practice, kind and year, allocated in the database.

The counter row is bumped with one `UPDATE … RETURNING` in the caller's transaction: on
PostgreSQL the row lock is held until that transaction ends, on SQLite the write lock is.
A number is therefore used only if the document that took it commits with it; a rollback
gives it back with the counter, so there are no gaps and no duplicates, whatever number of
processes issue at once."""

from sqlalchemy import update

from portal.extensions import db
from portal.models import FiscalCounter
from portal.services.core.inserts import insert_once


def _insert_missing(practice_id: int, kind: str, year: int) -> None:
    insert_once(FiscalCounter, practice_id=practice_id, kind=kind, year=year, last_number=0)


def allocate(practice_id: int, kind: str, year: int) -> int:
    """The next number of `kind` for the practice and year. Call it as the first write of a
    transaction that also inserts the document; commit or roll back both together."""
    _insert_missing(practice_id, kind, year)
    statement = (
        update(FiscalCounter)
        .where(
            FiscalCounter.practice_id == practice_id,
            FiscalCounter.kind == kind,
            FiscalCounter.year == year,
        )
        .values(last_number=FiscalCounter.last_number + 1)
        .returning(FiscalCounter.last_number)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).scalar_one()
