"""analytics results: basket rules, purchase propensity, sales forecasts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "basket_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("antecedent_key", sa.String(length=200), nullable=False),
        sa.Column("consequent_key", sa.String(length=200), nullable=False),
        sa.Column("antecedent", sa.JSON(), nullable=False),
        sa.Column("consequent", sa.JSON(), nullable=False),
        sa.Column("support", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("lift", sa.Float(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_basket_rules")),
    )
    op.create_index(op.f("ix_basket_rules_antecedent_key"), "basket_rules", ["antecedent_key"], unique=False)
    op.create_table(
        "purchase_propensity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_propensity")),
        sa.UniqueConstraint("customer_id", "as_of", name="uq_propensity_customer_as_of"),
    )
    op.create_index(op.f("ix_purchase_propensity_customer_id"), "purchase_propensity", ["customer_id"], unique=False)
    op.create_index(op.f("ix_purchase_propensity_as_of"), "purchase_propensity", ["as_of"], unique=False)
    op.create_table(
        "sales_forecasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.DateTime(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        sa.Column("lower", sa.Float(), nullable=False),
        sa.Column("upper", sa.Float(), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_forecasts")),
        sa.UniqueConstraint("kind", "period_start", "as_of", name="uq_forecast_kind_period_as_of"),
    )
    op.create_index(op.f("ix_sales_forecasts_as_of"), "sales_forecasts", ["as_of"], unique=False)


def downgrade() -> None:
    op.drop_table("sales_forecasts")
    op.drop_table("purchase_propensity")
    op.drop_table("basket_rules")
