"""staff search on PostgreSQL: each patient's newest invoice, kept by the database

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-02 14:30:00

`patient.newest_issued_on` and `patient.newest_invoice_id` are the list's key (issued_on, id)
of the patient's newest invoice, NULL for a patient with none. The staff search
(`services.collections.worklist_postgres`) ranks the patients matching its words by this key
and reads the invoices of the first few only: the page's invoices belong to the patients whose
newest invoices come first, however many patients match and wherever in the list they are.

Triggers keep the key: a statement's new invoices raise it (one set-based update for a whole
import), a changed issue day or patient and deleted invoices recompute it for the patients
concerned. Like 0037's `search_words`, the columns are PostgreSQL's alone and not in the
model: nothing but the database writes them.
"""

from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

#: every patient's key from its invoices (also `bench/kept.py`'s rebuild after a bulk load)
BACKFILL = """
UPDATE patient SET newest_issued_on = newest.issued_on, newest_invoice_id = newest.id
FROM (SELECT DISTINCT ON (patient_id) patient_id, issued_on, id FROM invoice
      ORDER BY patient_id, issued_on DESC, id DESC) AS newest
WHERE patient.id = newest.patient_id
"""

_FUNCTIONS = """
CREATE FUNCTION saldo_patient_newest(patients integer[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE patient SET (newest_issued_on, newest_invoice_id) = (
        SELECT issued_on, id FROM invoice WHERE invoice.patient_id = patient.id
        ORDER BY issued_on DESC, id DESC LIMIT 1
    )
    WHERE id = ANY(patients)
$$;

CREATE FUNCTION saldo_invoices_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE patient SET newest_issued_on = added.issued_on, newest_invoice_id = added.id
    FROM (SELECT DISTINCT ON (patient_id) patient_id, issued_on, id FROM added_invoices
          ORDER BY patient_id, issued_on DESC, id DESC) AS added
    WHERE patient.id = added.patient_id
      AND (patient.newest_invoice_id IS NULL
           OR (added.issued_on, added.id)
              > (patient.newest_issued_on, patient.newest_invoice_id));
    RETURN NULL;
END
$$;

CREATE FUNCTION saldo_invoice_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM saldo_patient_newest(ARRAY[OLD.patient_id, NEW.patient_id]);
    RETURN NULL;
END
$$;

CREATE FUNCTION saldo_invoices_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM saldo_patient_newest(ARRAY(SELECT DISTINCT patient_id FROM removed_invoices));
    RETURN NULL;
END
$$;

CREATE TRIGGER invoice_newest_added AFTER INSERT ON invoice
REFERENCING NEW TABLE AS added_invoices
FOR EACH STATEMENT EXECUTE FUNCTION saldo_invoices_added();

CREATE TRIGGER invoice_newest_moved AFTER UPDATE OF issued_on, patient_id ON invoice
FOR EACH ROW
WHEN (OLD.issued_on IS DISTINCT FROM NEW.issued_on
      OR OLD.patient_id IS DISTINCT FROM NEW.patient_id)
EXECUTE FUNCTION saldo_invoice_moved();

CREATE TRIGGER invoice_newest_removed AFTER DELETE ON invoice
REFERENCING OLD TABLE AS removed_invoices
FOR EACH STATEMENT EXECUTE FUNCTION saldo_invoices_removed();
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE patient ADD COLUMN newest_issued_on date, "
        "ADD COLUMN newest_invoice_id integer"
    )
    op.execute(_FUNCTIONS)
    op.execute(BACKFILL)
    op.execute("ANALYZE patient")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger in ("invoice_newest_added", "invoice_newest_moved", "invoice_newest_removed"):
        op.execute(f"DROP TRIGGER {trigger} ON invoice")
    for function in (
        "saldo_invoices_added()",
        "saldo_invoice_moved()",
        "saldo_invoices_removed()",
        "saldo_patient_newest(integer[])",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.execute("ALTER TABLE patient DROP COLUMN newest_invoice_id, DROP COLUMN newest_issued_on")
