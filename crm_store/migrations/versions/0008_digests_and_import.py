"""digests and import: digest recipients, once-per-period digests_sent, customer merge log

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_recipients")),
        sa.UniqueConstraint("email", name=op.f("uq_digest_recipients_email")),
    )
    op.create_table(
        "customer_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_run", sa.String(length=40), nullable=False),
        sa.Column("kept_customer_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("row", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("merged_at", sa.DateTime(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("split_customer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["kept_customer_id"], ["customers.id"], name=op.f("fk_customer_merges_kept_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_merges")),
    )
    with op.batch_alter_table("customer_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_merges_import_run"), ["import_run"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_merges_kept_customer_id"), ["kept_customer_id"], unique=False)
    with op.batch_alter_table("digests_sent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=10), server_default="sent", nullable=False))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.create_unique_constraint("uq_digests_sent_period", ["kind", "recipients", "period_start"])


def downgrade() -> None:
    with op.batch_alter_table("digests_sent", schema=None) as batch_op:
        batch_op.drop_constraint("uq_digests_sent_period", type_="unique")
        batch_op.drop_column("error")
        batch_op.drop_column("attempts")
        batch_op.drop_column("status")
    with op.batch_alter_table("customer_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_merges_kept_customer_id"))
        batch_op.drop_index(batch_op.f("ix_customer_merges_import_run"))
    op.drop_table("customer_merges")
    op.drop_table("digest_recipients")
