"""staff search on PostgreSQL: the patient's words in one lower-case column with a trigram
index, and the invoices by patient in the list's order

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-02 01:00:00

The staff list's search (`services.collections.worklist_postgres`) looks, on PostgreSQL, for
the patients having every word in `patient.search_words`, a stored generated column holding
`lower(first_name || ' ' || last_name || ' ' || email)`: one GIN trigram index answers all the
words at once (a few milliseconds even for a word a fifth of the patients have; 0028's GiST
indexes per column stay for the other searches), the check of each candidate row is a plain
LIKE on text already in lower case, and the column's statistics tell the planner how many
patients a word matches. Their invoices are then read patient by patient in the list's order
from `invoice (patient_id, practice_id, issued_on, id)`, without reading the invoices. The
column is not in the model: the database computes it, nothing writes it. SQLite searches
through its FTS5 tables (0014) and gets neither.
"""

from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

_WORDS = "lower(first_name || ' ' || last_name || ' ' || coalesce(email, ''))"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"ALTER TABLE patient ADD COLUMN search_words text GENERATED ALWAYS AS ({_WORDS}) STORED"
    )
    op.execute(
        "CREATE INDEX ix_patient_words_trgm ON patient USING gin (search_words gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX ix_invoice_patient_issued ON invoice (patient_id, practice_id, issued_on, id)"
    )
    op.execute("ANALYZE patient")  # the column's statistics, for the planner


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_invoice_patient_issued")
    op.execute("DROP INDEX ix_patient_words_trgm")
    op.execute("ALTER TABLE patient DROP COLUMN search_words")
