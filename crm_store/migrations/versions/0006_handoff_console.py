"""handoff lifecycle and agent console: handoff columns, message authors, console users, notes, canned replies

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_HANDOFF_COLUMNS = (
    ("trigger", sa.String(length=40)),
    ("stage_entered_at", sa.DateTime()),
    ("first_response_at", sa.DateTime()),
    ("escalated_at", sa.DateTime()),
    ("returned_at", sa.DateTime()),
    ("csat", sa.Integer()),
    ("csat_at", sa.DateTime()),
    ("last_notice_at", sa.DateTime()),
    ("seen_message_id", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.String(length=10), nullable=False, server_default="normal"))
        for name, type_ in _HANDOFF_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.add_column(sa.Column("ticket_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_handoffs_ticket_id_tickets"), "tickets", ["ticket_id"], ["id"])
        batch_op.create_index("ix_handoffs_status", ["status"], unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("author_name", sa.String(length=100), nullable=True))
    op.create_table(
        "console_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_users")),
        sa.UniqueConstraint("username", name=op.f("uq_console_users_username")),
    )
    op.create_table(
        "conversation_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_conversation_notes_conversation_id_conversations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_notes")),
    )
    with op.batch_alter_table("conversation_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_notes_conversation_id"), ["conversation_id"], unique=False)
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
        sa.UniqueConstraint("title", name=op.f("uq_canned_replies_title")),
    )


def downgrade() -> None:
    op.drop_table("canned_replies")
    with op.batch_alter_table("conversation_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_notes_conversation_id"))
    op.drop_table("conversation_notes")
    op.drop_table("console_users")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("author_name")
        batch_op.drop_column("author")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index("ix_handoffs_status")
        batch_op.drop_constraint(batch_op.f("fk_handoffs_ticket_id_tickets"), type_="foreignkey")
        batch_op.drop_column("ticket_id")
        for name, _type in reversed(_HANDOFF_COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column("priority")
