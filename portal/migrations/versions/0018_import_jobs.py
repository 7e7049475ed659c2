"""import jobs: uploaded CSV files kept in the database, background imports with progress

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-01 12:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0018"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("date_format", sa.String(length=3), nullable=False),
        sa.Column("draft", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("invoices_created", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('uploaded', 'queued', 'checking', 'done', 'failed')",
            name=op.f("ck_import_job_status"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_import_job_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"], ["staff_user.id"], name=op.f("fk_import_job_staff_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_job")),
    )
    op.create_index(op.f("ix_import_job_practice_id"), "import_job", ["practice_id"])
    op.create_index(op.f("ix_import_job_staff_user_id"), "import_job", ["staff_user_id"])


def downgrade():
    op.drop_index(op.f("ix_import_job_staff_user_id"), table_name="import_job")
    op.drop_index(op.f("ix_import_job_practice_id"), table_name="import_job")
    op.drop_table("import_job")
