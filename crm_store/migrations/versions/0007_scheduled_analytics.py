"""scheduled analytics: job runs, stage thresholds, follow-ups, scheduler lease, segment history

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=60), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "scheduled_for", name="uq_job_runs_job_scheduled_for"),
    )
    op.create_index(op.f("ix_job_runs_job"), "job_runs", ["job"], unique=False)
    op.create_table(
        "stage_thresholds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("sla_hours", sa.Float(), nullable=True),
        sa.Column("p50_hours", sa.Float(), nullable=True),
        sa.Column("p90_hours", sa.Float(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_thresholds")),
        sa.UniqueConstraint("process", "stage", name="uq_stage_thresholds_process_stage"),
    )
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_follow_ups_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_follow_ups_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("source_key", name=op.f("uq_follow_ups_source_key")),
    )
    op.create_index(op.f("ix_follow_ups_customer_id"), "follow_ups", ["customer_id"], unique=False)
    op.create_index(op.f("ix_follow_ups_due_at"), "follow_ups", ["due_at"], unique=False)
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_leases")),
    )
    op.create_table(
        "segment_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("from_segment_id", sa.Integer(), nullable=True),
        sa.Column("to_segment_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_changes")),
    )
    op.create_index(op.f("ix_segment_changes_customer_id"), "segment_changes", ["customer_id"], unique=False)
    op.create_index(op.f("ix_segment_changes_changed_at"), "segment_changes", ["changed_at"], unique=False)
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("centroid", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("segment_memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_segment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("owner", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("customer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stage_entered_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("threshold_hours", sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f("ix_flags_customer_id"), ["customer_id"], unique=False)
    op.create_index(
        "uq_flags_open",
        "flags",
        ["process", "process_id", "kind", "stage"],
        unique=True,
        sqlite_where=sa.text("cleared_at IS NULL"),
        postgresql_where=sa.text("cleared_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_flags_open", table_name="flags")
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flags_customer_id"))
        batch_op.drop_column("threshold_hours")
        batch_op.drop_column("stage_entered_at")
        batch_op.drop_column("customer_id")
        batch_op.drop_column("owner")
        batch_op.drop_column("stage")
    with op.batch_alter_table("segment_memberships", schema=None) as batch_op:
        batch_op.drop_column("run_id")
        batch_op.drop_column("previous_segment_id")
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("size")
        batch_op.drop_column("centroid")
        batch_op.drop_column("active")
    op.drop_index(op.f("ix_segment_changes_changed_at"), table_name="segment_changes")
    op.drop_index(op.f("ix_segment_changes_customer_id"), table_name="segment_changes")
    op.drop_table("segment_changes")
    op.drop_table("scheduler_leases")
    op.drop_index(op.f("ix_follow_ups_due_at"), table_name="follow_ups")
    op.drop_index(op.f("ix_follow_ups_customer_id"), table_name="follow_ups")
    op.drop_table("follow_ups")
    op.drop_table("stage_thresholds")
    op.drop_index(op.f("ix_job_runs_job"), table_name="job_runs")
    op.drop_table("job_runs")
