"""One row inserted unless its unique key is already taken, on PostgreSQL and SQLite alike."""

from collections.abc import Sequence

from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db


def insert_once(model: type, key: Sequence[str] | None = None, **values) -> bool:
    """`INSERT … ON CONFLICT (key) DO NOTHING` of a `model` row in the current transaction:
    only a row whose unique `key` (those columns; any unique constraint when None) is taken
    is skipped, every other integrity error raises. True if the row was inserted."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=key)
    return db.session.execute(statement).rowcount == 1
