"""Emptying the test database between tests: one query finds the tables that have rows, and
only those are emptied, children first, in one transaction."""

from sqlalchemy import Dialect, String, literal, select, union_all

from portal.extensions import db

#: per dialect name: the query naming the tables with rows, and each table's DELETE, as SQL
_compiled: dict[str, tuple[str, dict[str, str]]] = {}


def empty_tables() -> None:
    """Delete every row of every table the models define (as `DELETE`, so SQLite's search
    triggers run as they do in production); `alembic_version` stays."""
    with db.engine.begin() as conn:
        probe, deletes = _statements(conn.dialect)
        filled = set(conn.exec_driver_sql(probe).scalars())
        ordered = [deletes[t.name] for t in reversed(db.metadata.sorted_tables) if t.name in filled]
        if ordered and conn.dialect.name == "postgresql":
            # one round trip: PostgreSQL runs several statements sent as one text
            conn.exec_driver_sql(";\n".join(ordered))
        else:
            for sql in ordered:
                conn.exec_driver_sql(sql)


def _statements(dialect: Dialect) -> tuple[str, dict[str, str]]:
    """The SQL, compiled once per dialect from the models' tables."""
    if dialect.name not in _compiled:
        tables = db.metadata.sorted_tables
        probe = union_all(
            *(
                select(literal(t.name, String)).where(select(1).select_from(t).exists())
                for t in tables
            )
        )
        inline = {"literal_binds": True}
        _compiled[dialect.name] = (
            str(probe.compile(dialect=dialect, compile_kwargs=inline)),
            {t.name: str(t.delete().compile(dialect=dialect)) for t in tables},
        )
    return _compiled[dialect.name]
