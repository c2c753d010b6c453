"""The companion's health tables: screening answers, pain diary, confirmations, breaks.

Revision ID: 0004
Revises: 0002 (to be re-chained after 0003 when branches meet)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def _person() -> sa.Column[int]:
    return sa.Column(
        "person_id",
        sa.Integer,
        sa.ForeignKey("people.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "health_screenings",
        sa.Column("id", sa.Integer, primary_key=True),
        _person(),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rules_version", sa.Integer, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
    )
    op.create_index("ix_health_screenings_person_id", "health_screenings", ["person_id"])
    op.create_table(
        "pain_diary",
        sa.Column("id", sa.Integer, primary_key=True),
        _person(),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pain", sa.Integer, nullable=False),
        sa.Column("areas", sa.JSON, nullable=False),
        sa.Column("stiffness_min", sa.Integer, nullable=True),
        sa.Column("better", sa.JSON, nullable=False),
        sa.Column("worse", sa.JSON, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("red_flags", sa.JSON, nullable=False),
    )
    op.create_index("ix_pain_diary_person_id", "pain_diary", ["person_id"])
    op.create_index("ix_pain_diary_at", "pain_diary", ["at"])
    op.create_table(
        "care_confirmations",
        sa.Column("id", sa.Integer, primary_key=True),
        _person(),
        sa.Column("kind", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("upto_id", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_care_confirmations_person_id", "care_confirmations", ["person_id"])
    op.create_table(
        "care_breaks",
        sa.Column("id", sa.Integer, primary_key=True),
        _person(),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("exercise", sa.String(80), nullable=True),
        sa.Column("sat_minutes", sa.Float, nullable=False),
    )
    op.create_index("ix_care_breaks_person_id", "care_breaks", ["person_id"])
    op.create_index("ix_care_breaks_at", "care_breaks", ["at"])


def downgrade() -> None:
    op.drop_table("care_breaks")
    op.drop_table("care_confirmations")
    op.drop_table("pain_diary")
    op.drop_table("health_screenings")
