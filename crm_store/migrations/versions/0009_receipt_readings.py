"""receipt_readings: fields read by OCR from customers' receipt photos

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "receipt_readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("image_path", sa.String(length=500), nullable=False),
        sa.Column("ocr_text", sa.Text(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.Column("order_number", sa.String(length=20), nullable=True),
        sa.Column("receipt_date", sa.String(length=10), nullable=True),
        sa.Column("total", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("merchant", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("process", sa.String(length=20), nullable=True),
        sa.Column("process_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["attachments.id"], name=op.f("fk_receipt_readings_attachment_id_attachments")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_receipt_readings_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_readings")),
    )
    with op.batch_alter_table("receipt_readings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipt_readings_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_receipt_readings_process", ["process", "process_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("receipt_readings", schema=None) as batch_op:
        batch_op.drop_index("ix_receipt_readings_process")
        batch_op.drop_index(batch_op.f("ix_receipt_readings_customer_id"))
    op.drop_table("receipt_readings")
