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
def indexed_once(raw, table: str) -> Iterator[None]:
    """Around inserts into `table` on the SQLite DB-API connection `raw`: its search table's
    insert trigger is dropped, and after the inserts the new rows are indexed and the trigger
    is created again from its own SQL. On an error the caller rolls back (which restores the
    trigger); nothing is indexed."""
    search = SEARCH.get(table)
    trigger = f"{search[0]}_ai" if search else None
    found = raw.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ? AND tbl_name = ?",
        (trigger, table),
    ).fetchone()
    if found is None:
        yield
        return
    if not raw.in_transaction:
        raw.execute("BEGIN")  # DDL outside a transaction would be committed at once
    (before,) = raw.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchone()  # noqa: S608
    raw.execute(f'DROP TRIGGER "{trigger}"')
    yield
    fts, columns = search
    listed = ", ".join(columns)
    raw.execute(
        f"INSERT INTO {fts}(rowid, {listed}) SELECT id, {listed} FROM {table} WHERE id > ?",  # noqa: S608
        (before,),
    )
    raw.execute(found[0])
