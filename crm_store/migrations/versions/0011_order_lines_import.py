"""order lines import: anonymous orders, credit notes linked to their order, adjustments, country

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=60), nullable=True))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default="order"))
        batch_op.add_column(sa.Column("credit_for_order_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("country", sa.String(length=60), nullable=True))
        batch_op.create_foreign_key("fk_orders_credit_for_order_id_orders", "orders", ["credit_for_order_id"], ["id"])
        batch_op.create_index("ix_orders_credit_for_order_id", ["credit_for_order_id"])
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.alter_column(
            "unit_price", existing_type=sa.Numeric(10, 2), type_=sa.Numeric(12, 4), existing_nullable=False
        )
    op.create_table(
        "order_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_adjustments_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_adjustments")),
    )
    op.create_index("ix_order_adjustments_order_id", "order_adjustments", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_order_adjustments_order_id", table_name="order_adjustments")
    op.drop_table("order_adjustments")
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.alter_column(
            "unit_price", existing_type=sa.Numeric(12, 4), type_=sa.Numeric(10, 2), existing_nullable=False
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_credit_for_order_id")
        batch_op.drop_constraint("fk_orders_credit_for_order_id_orders", type_="foreignkey")
        batch_op.drop_column("country")
        batch_op.drop_column("credit_for_order_id")
        batch_op.drop_column("kind")
        batch_op.alter_column("customer_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("country")
