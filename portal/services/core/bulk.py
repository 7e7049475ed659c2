"""Writing many rows of one table at once, inside the session's transaction: COPY on
PostgreSQL, SQLAlchemy's multi-row INSERTs elsewhere; and ids for rows taken in advance
from PostgreSQL's sequence, so rows that others point at can be copied too."""

from collections.abc import Iterator

from portal.extensions import db


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def write(table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`; the columns' Python defaults
    fill the columns the rows leave out, as an INSERT would."""
    if not rows:
        return
    if _postgres():
        copy(table, rows)
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
        copy(table, [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)])
        return ids
    # SQLite has one writer at a time: once this transaction has written, the ids after
    # the highest are its own (and a clash is an IntegrityError, never a wrong id)
    db.session.flush()
    first = db.session.scalar(db.select(db.func.coalesce(db.func.max(table.c.id), 0))) + 1
    ids = list(range(first, first + len(rows)))
    write(table, [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)])
    return ids


def copy(table, rows: list[dict]) -> None:
    """`COPY table FROM STDIN` on the session's own connection (PostgreSQL): the rows'
    values through their columns' types, the columns' Python defaults for the columns they
    leave out."""
    dialect = db.session.get_bind().dialect
    names, values = _driver_rows(table, rows, dialect)
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({quoted}) FROM STDIN"
    db.session.flush()
    raw = db.session.connection().connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(statement) as stream:
        for row in values:
            stream.write_row(row)


def insert_many(table, rows: list[dict]) -> None:
    """One prepared INSERT run over every row, straight through the driver on the session's
    own connection (SQLite), with the same values and defaults as `copy`."""
    dialect = db.session.get_bind().dialect
    names, values = _driver_rows(table, rows, dialect)
    columns = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    target = dialect.identifier_preparer.format_table(table)
    marks = ", ".join("?" for _ in names)
    statement = f"INSERT INTO {target} ({columns}) VALUES ({marks})"  # noqa: S608 (our names)
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    try:
        cursor.executemany(statement, values)
    finally:
        cursor.close()


def _driver_rows(table, rows: list[dict], dialect) -> tuple[list[str], Iterator[list]]:
    """The column names and each row's values as the driver takes them: through the columns'
    types, with the columns' Python defaults (which an INSERT through SQLAlchemy would add)
    for the columns the rows leave out."""
    given = list(rows[0])
    defaults = [
        column
        for column in table.columns
        if column.default is not None and column.name not in given and not column.primary_key
    ]
    names = [*given, *(column.name for column in defaults)]
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]

    def values() -> Iterator[list]:
        for row in rows:
            fill = [c.default.arg if c.default.is_scalar else c.default.arg(None) for c in defaults]
            yield [
                v if p is None or v is None else p(v)
                for v, p in zip([row[name] for name in given] + fill, processors, strict=True)
            ]

    return names, values()
