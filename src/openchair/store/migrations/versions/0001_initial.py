"""The first schema: people, the chair, sessions and safety events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("default_intensity", sa.Integer, nullable=False),
        sa.Column("heat", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "chairs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("description", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("chair_id", sa.String(64), sa.ForeignKey("chairs.id"), nullable=False),
        sa.Column(
            "person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("person_name", sa.String(80), nullable=True),
        sa.Column("program_id", sa.String(80), nullable=False),
        sa.Column("program_name", sa.String(200), nullable=False),
        sa.Column("intensity", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("seconds_by_zone", sa.JSON, nullable=False),
        sa.Column("max_force_n", sa.Float, nullable=False),
        sa.Column("max_depth_mm", sa.Float, nullable=False),
        sa.Column("max_pressure_kpa", sa.Float, nullable=False),
        sa.Column("max_temp_c", sa.Float, nullable=True),
        sa.Column("owner_host", sa.String(200), nullable=False),
        sa.Column("owner_pid", sa.Integer, nullable=False),
    )
    op.create_index("ix_sessions_chair_id", "sessions", ["chair_id"])
    op.create_index("ix_sessions_person_id", "sessions", ["person_id"])
    op.create_index("ix_sessions_started_at", "sessions", ["started_at"])
    op.create_index("ix_sessions_outcome", "sessions", ["outcome"])
    op.create_table(
        "safety_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.String(32),
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("chair_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_s", sa.Float, nullable=False),
        sa.Column("rule", sa.String(60), nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("limit_value", sa.Float, nullable=True),
        sa.Column("reaction", sa.String(100), nullable=False),
        sa.Column("activity", sa.String(20), nullable=False),
    )
    op.create_index("ix_safety_events_session_id", "safety_events", ["session_id"])


def downgrade() -> None:
    op.drop_table("safety_events")
    op.drop_table("sessions")
    op.drop_table("chairs")
    op.drop_table("people")
