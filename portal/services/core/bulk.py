"""Writing many rows of one table at once, inside the session's transaction: COPY on
PostgreSQL, SQLAlchemy's multi-row INSERTs elsewhere; and ids for rows taken in advance
from PostgreSQL's sequence, so rows that others point at can be copied too."""

from portal.extensions import db


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def write(table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`; the columns' Python defaults
    fill the columns the rows leave out, as an INSERT would."""
    if not rows:
        return
    if _postgres():
        _copy(table, rows)
        return
    # RETURNING makes SQLAlchemy send multi-row INSERTs of up to 1,000 rows, compiled once
    db.session.execute(db.insert(table).returning(*table.primary_key.columns), rows).all()


def with_ids(table, rows: list[dict]) -> list[int]:
    """Insert `rows` into `table` (integer key `id`) and return their ids, in order."""
    if not rows:
        return []
    if _postgres():
        sequence = db.session.scalar(db.select(db.func.pg_get_serial_sequence(table.name, "id")))
        ids = list(
            db.session.scalars(
                db.select(db.func.nextval(sequence)).select_from(
                    db.func.generate_series(1, len(rows))
                )
            )
        )
        _copy(table, [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)])
        return ids
    # SQLite has one writer at a time: once this transaction has written, the ids after
    # the highest are its own (and a clash is an IntegrityError, never a wrong id)
    db.session.flush()
    first = db.session.scalar(db.select(db.func.coalesce(db.func.max(table.c.id), 0))) + 1
    ids = list(range(first, first + len(rows)))
    write(table, [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)])
    return ids


def _copy(table, rows: list[dict]) -> None:
    """`COPY table FROM STDIN` on the session's own connection: the rows' values through
    their columns' types, the columns' Python defaults for the columns they leave out."""
    dialect = db.session.get_bind().dialect
    given = list(rows[0])
    defaults = [
        column
        for column in table.columns
        if column.default is not None and column.name not in given and not column.primary_key
    ]
    names = [*given, *(column.name for column in defaults)]
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({quoted}) FROM STDIN"
    db.session.flush()
    raw = db.session.connection().connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            fill = [c.default.arg if c.default.is_scalar else c.default.arg(None) for c in defaults]
            values = [row[name] for name in given] + fill
            copy.write_row(
                [
                    v if p is None or v is None else p(v)
                    for v, p in zip(values, processors, strict=True)
                ]
            )
