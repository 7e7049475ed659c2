"""Counters kept on a row and raised in the database, so concurrent workers never lose a step."""

from sqlalchemy import update

from portal.extensions import db


def increment(obj, attribute: str) -> int:
    """Add one to `obj.attribute` in one UPDATE; the new value (the row is re-read)."""
    model = type(obj)
    column = getattr(model, attribute)
    db.session.execute(
        update(model)
        .where(model.id == obj.id)
        .values({attribute: column + 1})
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(obj, [attribute])
    return getattr(obj, attribute)
