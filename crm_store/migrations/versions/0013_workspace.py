"""agent workspace: an agent's away status, and labels on conversations

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("away_since", sa.DateTime(), nullable=True))
    op.create_table(
        "conversation_labels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.Integer(), sa.ForeignKey("conversations.id"), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("conversation_id", "label", name="uq_conversation_label"),
    )
    op.create_index("ix_conversation_labels_label", "conversation_labels", ["label"])


def downgrade() -> None:
    op.drop_index("ix_conversation_labels_label", table_name="conversation_labels")
    op.drop_table("conversation_labels")
    with op.batch_alter_table("console_users", schema=None) as batch_op:
        batch_op.drop_column("away_since")
