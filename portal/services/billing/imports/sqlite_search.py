"""SQLite's search tables during a bulk insert.

On SQLite the staff search reads FTS5 tables (`invoice_search`, `patient_search`) that
triggers keep in step with `invoice` and `patient` row by row. Indexing thousands of rows one
trigger call at a time costs about fifteen times what one `INSERT … SELECT` over the same
rows costs, so an import sets the insert trigger aside, inserts, indexes the new rows in one
statement and puts the trigger back, all in its own transaction: other connections never
see the table without its trigger, and a rollback restores both.
"""

from collections.abc import Iterator
from contextlib import contextmanager

#: table -> its search table and the columns it indexes (migration 0014)
SEARCH = {
    "invoice": ("invoice_search", ("number",)),
    "patient": ("patient_search", ("first_name", "last_name", "email")),
}


@contextmanager
def trigger_aside(raw, name: str | None) -> Iterator[bool]:
    """Around a block on the SQLite DB-API connection `raw`: the trigger `name` is dropped
    inside the connection's transaction and created again from its own SQL afterwards (a
    rollback restores it). Yields whether there was such a trigger to set aside."""
    found = raw.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
    ).fetchone()
    if found is None:
        yield False
        return
    if not raw.in_transaction:
        raw.execute("BEGIN")  # DDL outside a transaction would be committed at once
    raw.execute(f'DROP TRIGGER "{name}"')
    yield True
    raw.execute(found[0])


@contextmanager
def indexed_once(raw, table: str) -> Iterator[None]:
    """Around inserts into `table` on the SQLite DB-API connection `raw`: its search table's
    insert trigger is set aside, and after the inserts the new rows are indexed and the
    trigger is created again from its own SQL. On an error the caller rolls back (which
    restores the trigger); nothing is indexed."""
    search = SEARCH.get(table)
    with trigger_aside(raw, f"{search[0]}_ai" if search else None) as aside:
        if not aside:
            yield
            return
        (before,) = raw.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchone()  # noqa: S608
        yield
        fts, columns = search
        listed = ", ".join(columns)
        raw.execute(
            f"INSERT INTO {fts}(rowid, {listed}) SELECT id, {listed} FROM {table} WHERE id > ?",  # noqa: S608
            (before,),
        )
