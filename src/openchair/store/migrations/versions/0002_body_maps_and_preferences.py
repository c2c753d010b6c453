"""People's saved body maps, their favourite programs and their own programs.

A person seated again gets their newest map without a new scan; the remote lists their
favourites first. Existing people get an empty list of favourites.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(
            sa.Column("favourite_programs", sa.JSON, nullable=False, server_default="[]")
        )
    op.create_table(
        "body_maps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "person_id",
            sa.Integer,
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_body_maps_person_id", "body_maps", ["person_id"])
    op.create_table(
        "person_programs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "person_id",
            sa.Integer,
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("program_id", sa.String(80), nullable=False),
        sa.Column("toml", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_person_programs_person_id", "person_programs", ["person_id"])


def downgrade() -> None:
    op.drop_table("person_programs")
    op.drop_table("body_maps")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("favourite_programs")
