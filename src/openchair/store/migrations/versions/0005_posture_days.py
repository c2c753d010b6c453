"""The posture monitor's day summaries, per person and day (were ``posture_days.json``).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "posture_days",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "person_id",
            sa.Integer,
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("sitting_s", sa.Float, nullable=False),
        sa.Column("slouched_s", sa.Float, nullable=False),
        sa.Column("away_s", sa.Float, nullable=False),
        sa.Column("unobserved_s", sa.Float, nullable=False),
        sa.Column("nudges", sa.Integer, nullable=False),
        sa.Column("breaks", sa.Integer, nullable=False),
        sa.Column("streaks", sa.JSON, nullable=False),
        sa.UniqueConstraint("person_id", "day", name="uq_posture_days_person_day"),
    )
    op.create_index("ix_posture_days_person_id", "posture_days", ["person_id"])


def downgrade() -> None:
    op.drop_table("posture_days")
